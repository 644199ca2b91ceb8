/** The course: its own models (configs, trained directories, warm starts, FID features, on the chosen engine), sample sets and their metrics against the test set, and the notebooks' helpers (2-D points as images, a point denoiser, forward chains, reverse trajectories, the exercises' checkers). */
export { COURSE_CONFIGS, type CourseModelConfig, type DiffusionModelConfig, type ClassifierModelConfig } from "./model-configs";
export {
  loadTrainedDiffusion,
  loadTrainedClassifier,
  readTrainedFile,
  type TrainedDiffusionModel,
  type TrainedClassifier,
  type TrainedFile,
  type TrainedRun,
} from "./trained-model";
export { unetOnEngine, guidanceOnEngine, type EngineUNet, type EngineGuidance } from "./on-engine";
export { foldNullClass, warmStart, type WarmStartInfo } from "./warm-start";
export { courseFeatureExtractor } from "./feature-extractor";
export { engineFeatures, type EngineFeatureOptions } from "./features-on-engine";
export {
  balancedLabels,
  drawImages,
  stageSampleSet,
  readSampleSet,
  readSweep,
  readSweepSets,
  writeSweep,
  settingsDiffer,
  listEmaSnapshots,
  loadEmaSnapshot,
  SWEEP_FILE,
  type DrawOptions,
  type SampleSet,
  type Sweep,
  type SweepPoint,
  type SweepSettings,
  type PointMetrics,
} from "./sample-sets";
export {
  FASHION_FEATURES_DIR,
  fashionReference,
  fashionSetMetrics,
  trainingSetMetrics,
  fidSpread,
  realFidSpread,
  type SetMetricsOptions,
  type ReferenceFeatures,
  type FidSpread,
} from "./set-metrics";
export { checkFunction, randomCases, type Checkable, type CheckResult, type CheckOptions } from "./check";
export { createMlpDenoiser, copyMlpDenoiser, type MlpDenoiser, type MlpDenoiserOptions } from "./mlp-denoiser";
export { scaleToUnitBox, quantize8bit, pointsTensor, pointsDataset } from "./points";
export { simulateChainMoments, diffusePoints, pathTraces, recordTimes, type PointPaths, type PathTraceOptions } from "./forward-chain";
export { trainPoints, recordReverse, boundByT, type TrainPointsOptions, type ReversePaths, type BoundByT } from "./reverse";
export {
  ENGINE_LOAD_FACTOR,
  memoryFit,
  imagenetConfigs,
  imagenetFiles,
  pickConfiguration,
  imagenetDiffusion,
  engineCondFn,
  loadImagenet,
  type MemoryFit,
  type ImagenetSetup,
  type LoadImagenetOptions,
} from "./imagenet";
export { tapUNet, disposeTaps, unetBlockTable, type LayerTap, type LayerShape, type TappedForward, type BlockRow } from "./unet-taps";
export { checkGroupNorm, checkAdaGN, checkTimestepEmbedding, checkClassifierGradient, checkPredictXstart, type ExerciseCheckOptions } from "./exercise-checks";
export { checkGuidedMean, checkGuidedEps, checkLinearGradLogP } from "./guidance-checks";
export { checkVlbTerm, checkLearnedLogVariance, checkEmaUpdate } from "./training-checks";
