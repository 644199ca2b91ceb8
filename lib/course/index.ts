/** Course glue for the notebooks: 2-D points as images, a point denoiser, forward chains and reverse trajectories. */
export { createMlpDenoiser, copyMlpDenoiser, type MlpDenoiser, type MlpDenoiserOptions } from "./mlp-denoiser";
export { scaleToUnitBox, quantize8bit, pointsTensor, pointsDataset } from "./points";
export { simulateChainMoments, diffusePoints, pathTraces, recordTimes, type PointPaths, type PathTraceOptions } from "./forward-chain";
export { trainPoints, recordReverse, boundByT, type TrainPointsOptions, type ReversePaths, type BoundByT } from "./reverse";
