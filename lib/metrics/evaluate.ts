/**
 * The metric suite of ADM's evaluator on extracted features: FID and sFID (Frechet distance of pooled
 * and spatial features), precision and recall (k = 3), and Inception Score on the samples' class
 * probabilities. Whatever the extractor lacks (spatial features, probabilities) is left out.
 */
import { Features } from "./feature-extractor";
import { frechetDistance } from "./frechet";
import { inceptionScore } from "./inception-score";
import { precisionRecall } from "./precision-recall";
import { computeStatistics, GaussianStatistics } from "./statistics";

export interface EvaluationResult {
  fid: number;
  sfid?: number;
  precision: number;
  recall: number;
  inceptionScore?: number;
}

export interface EvaluateOptions {
  /** reference statistics read from a reference batch, used instead of computing them (as ADM does) */
  referenceStats?: GaussianStatistics;
  referenceSpatialStats?: GaussianStatistics;
  /** the reference's precision/recall radii, manifoldRadii(reference.pooled, {k}), when one reference is compared with many sets */
  referenceRadii?: Float64Array;
  /** neighbourhood size for precision/recall (default 3) */
  k?: number;
  /** block size for precision/recall distances (default 1000) */
  batchSize?: number;
  /** Inception Score split size (default 5000) */
  splitSize?: number;
}

/** Compare sample features against reference features. */
export function evaluateFeatures(samples: Features, reference: Features, opts: EvaluateOptions = {}): EvaluationResult {
  const refStats = opts.referenceStats ?? computeStatistics(reference.pooled);
  const result: EvaluationResult = {
    fid: frechetDistance(computeStatistics(samples.pooled), refStats),
    ...precisionRecall(reference.pooled, samples.pooled, { k: opts.k, batchSize: opts.batchSize, realRadii: opts.referenceRadii }),
  };
  const refSpatial = opts.referenceSpatialStats ?? (reference.spatial && computeStatistics(reference.spatial));
  if (samples.spatial && refSpatial) result.sfid = frechetDistance(computeStatistics(samples.spatial), refSpatial);
  if (samples.probs) result.inceptionScore = inceptionScore(samples.probs, { splitSize: opts.splitSize });
  return result;
}
