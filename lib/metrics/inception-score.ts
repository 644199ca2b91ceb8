/**
 * Inception Score (Salimans et al. 2016, "Improved Techniques for Training GANs"):
 *
 *   IS = exp( E_x KL( p(y|x) || p(y) ) ),  p(y) = E_x p(y|x)
 *
 * computed on consecutive splits of `splitSize` samples (the marginal p(y) is per split) and averaged
 * over splits, as ADM's evaluator does (split size 5000). 0 log 0 is taken as 0, its limit, so
 * one-hot class probabilities are allowed.
 */
import { checkFeatureMatrix, FeatureMatrix } from "./feature-matrix";

export interface InceptionScoreOptions {
  /** samples per split (default 5000, as ADM); the last split may be shorter */
  splitSize?: number;
}

/** Inception Score of class probabilities `probs` (n x classes, rows summing to 1): the mean over splits. */
export function inceptionScore(probs: FeatureMatrix, opts: InceptionScoreOptions = {}): number {
  checkFeatureMatrix(probs, "inceptionScore probs");
  const splitSize = opts.splitSize ?? 5000;
  if (!Number.isInteger(splitSize) || splitSize < 1) throw new Error(`inceptionScore: splitSize = ${splitSize} must be a positive integer`);
  const [n, c] = probs.shape;
  if (n === 0) throw new Error("inceptionScore: probs has no rows");
  const p = probs.data;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) {
      const v = p[i * c + j];
      if (!(v >= 0)) throw new Error(`inceptionScore: probs[${i}][${j}] = ${v}; pass softmax probabilities, not logits`);
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) throw new Error(`inceptionScore: row ${i} of probs sums to ${s}, not 1; pass softmax probabilities, not logits`);
  }
  const scores: number[] = [];
  const marginal = new Float64Array(c);
  for (let start = 0; start < n; start += splitSize) {
    const end = Math.min(n, start + splitSize);
    marginal.fill(0);
    for (let i = start; i < end; i++) for (let j = 0; j < c; j++) marginal[j] += p[i * c + j];
    for (let j = 0; j < c; j++) marginal[j] /= end - start;
    let kl = 0;
    for (let i = start; i < end; i++) {
      for (let j = 0; j < c; j++) {
        const v = p[i * c + j];
        if (v > 0) kl += v * (Math.log(v) - Math.log(marginal[j]));
      }
    }
    scores.push(Math.exp(kl / (end - start)));
  }
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}
