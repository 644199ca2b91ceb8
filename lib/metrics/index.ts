/** Sample-quality metrics as ADM's evaluator computes them: FID, sFID, IS, precision/recall, feature extractors. */
export { computeStatistics } from "./statistics";
export { frechetDistance, traceSqrtProduct } from "./frechet";
export { symmetricEigen } from "./symmetric-eigen";
export { precisionRecall, manifoldRadii } from "./precision-recall";
export { inceptionScore } from "./inception-score";
export { extractFeatures } from "./feature-extractor";
export { inceptionFeatureExtractor, pixelFeatureExtractor, modelFeatureExtractor } from "./extractors";
export { inceptionForward, inceptionInput, INCEPTION_V3_BLOCKS, INCEPTION_INPUT_SIZE } from "./inception-v3";
export { loadInceptionV3, readInceptionV3, countInceptionParameters, inceptionStateDict } from "./inception-weights";
export { readReferenceBatch, writeReferenceBatch } from "./reference-batch";
export { evaluateFeatures } from "./evaluate";

export type { FeatureMatrix } from "./feature-matrix";
export type { GaussianStatistics } from "./statistics";
export type { FrechetOptions } from "./frechet";
export type { SymmetricEigen } from "./symmetric-eigen";
export type { PrecisionRecall, PrecisionRecallOptions, PrecisionRecallRunOptions } from "./precision-recall";
export type { InceptionScoreOptions } from "./inception-score";
export type { FeatureExtractor, FeatureTensors, Features, ImageSource, Uint8Images, ExtractOptions } from "./feature-extractor";
export type { PixelFeatureOptions, FeatureModel, ModelOutput, ModelFeatureOptions } from "./extractors";
export type { InceptionV3, InceptionOutputs } from "./inception-v3";
export type { ReferenceBatch } from "./reference-batch";
export type { EvaluationResult, EvaluateOptions } from "./evaluate";
