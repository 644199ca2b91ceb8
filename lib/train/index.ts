/** Training: the loop, its tasks, optimizer and EMA, checkpoints, and the course's model configs. */
export { train, initTrainState, NonFiniteLossError, type TrainableModel, type TrainingTask, type TrainOptions, type TrainState, type StepStats, type StepLoss } from "./loop";
export { diffusionTask, type DiffusionTaskOptions } from "./diffusion-task";
export { classifierTask, accuracyByTimestep, cleanAccuracy, predictClean, type ClassifierNet, type ClassifierTaskOptions } from "./classifier-task";
export { adamStep, createAdamState, type AdamOptions, type AdamState } from "./adam";
export { createEma, emaDecay, updateEma } from "./ema";
export { clipByGlobalNorm } from "./grad-clip";
export { learningRate, type LrSchedule } from "./lr";
export { batchIndices, permutation, subSeed } from "./seed";
export { seedInitialWeights } from "./init";
export { fashionMnistDataset, gatherBatch, type ImageDataset } from "./dataset";
export { saveCheckpoint, loadCheckpoint, hasCheckpoint, readCheckpointConfig, exportWeights, STATE_FILE, MODEL_FILE } from "./checkpoint";
export { loadTrainedDiffusion, loadTrainedClassifier, type TrainedDiffusionModel, type TrainedClassifier } from "./trained-model";
export { foldNullClass, warmStart, type WarmStartInfo } from "./warm-start";
export { COURSE_CONFIGS, type CourseModelConfig, type DiffusionModelConfig, type ClassifierModelConfig } from "./course-configs";
export { courseFeatureExtractor } from "./course-features";
