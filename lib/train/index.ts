/** Training: the loop, its tasks, optimizer and EMA, checkpoints. */
export {
  train,
  initTrainState,
  checkTrainOptions,
  NonFiniteLossError,
  type TrainingTask,
  type TrainOptions,
  type TrainState,
  type StepStats,
  type StepLoss,
} from "./loop";
export type { EngineTask } from "./engine-step";
export { diffusionTask, type DiffusionTaskOptions } from "./diffusion-task";
export { classifierTask, accuracyByTimestep, cleanAccuracy, predictClean, type ClassifierTaskOptions } from "./classifier-task";
export { adamStep, createAdamState, type AdamOptions, type AdamState } from "./adam";
export { createEma, emaDecay, updateEma } from "./ema";
export { clipByGlobalNorm } from "./grad-clip";
export { learningRate, type LrSchedule } from "./lr";
export { batchIndices, permutation, subSeed, type BatchPosition } from "./seed";
export { seedInitialWeights } from "./init";
export { fashionMnistDataset, gatherBatch, type ImageDataset } from "./dataset";
export {
  saveCheckpoint,
  loadCheckpoint,
  hasCheckpoint,
  readCheckpointConfig,
  readCheckpointInfo,
  restoreModelFile,
  checkModelMatchesState,
  exportWeights,
  saveEmaSnapshot,
  STATE_FILE,
  MODEL_FILE,
  SNAPSHOT_DIR,
  type CheckpointInfo,
} from "./checkpoint";
