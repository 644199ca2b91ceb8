/**
 * Gaussian statistics of features, as FID fits them (Heusel et al. 2017, "GANs Trained by a Two
 * Time-Scale Update Rule"): the mean and the unbiased (ddof 1) covariance, in float64.
 */
import { checkFeatureMatrix, FeatureMatrix } from "./feature-matrix";

/** Mean and covariance of a feature distribution (ADM's reference batches store these as mu, sigma). */
export interface GaussianStatistics {
  /** mean, length d */
  mu: Float64Array;
  /** covariance, row-major d x d */
  sigma: Float64Array;
}

/** Rows centred per block: enough to reuse each covariance row across many samples while it is in cache. */
const BLOCK_ROWS = 64;

/**
 * mu = (1/n) sum_i x_i and sigma = (1/(n-1)) sum_i (x_i - mu)(x_i - mu)^T over the rows of `features`.
 */
export function computeStatistics(features: FeatureMatrix): GaussianStatistics {
  checkFeatureMatrix(features, "computeStatistics");
  const [n, d] = features.shape;
  if (n < 2) throw new Error(`computeStatistics: need at least 2 samples for a covariance, got ${n}`);
  const x = features.data;
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const ri = i * d;
    for (let j = 0; j < d; j++) mu[j] += x[ri + j];
  }
  for (let j = 0; j < d; j++) mu[j] /= n;
  // Upper triangle of sum (x - mu)(x - mu)^T, four centred rows per pass over a covariance row.
  const sigma = new Float64Array(d * d);
  const block = new Float64Array(BLOCK_ROWS * d);
  for (let start = 0; start < n; start += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, n - start);
    for (let b = 0; b < rows; b++) {
      const src = (start + b) * d,
        dst = b * d;
      for (let j = 0; j < d; j++) block[dst + j] = x[src + j] - mu[j];
    }
    block.fill(0, rows * d); // zero rows pad the last block to a multiple of four
    const padded = (rows + 3) & ~3;
    for (let b = 0; b < padded; b += 4) {
      const o0 = b * d,
        o1 = o0 + d,
        o2 = o1 + d,
        o3 = o2 + d;
      for (let i = 0; i < d; i++) {
        const a0 = block[o0 + i],
          a1 = block[o1 + i],
          a2 = block[o2 + i],
          a3 = block[o3 + i];
        const si = i * d;
        for (let j = i; j < d; j++) {
          sigma[si + j] += a0 * block[o0 + j] + a1 * block[o1 + j] + a2 * block[o2 + j] + a3 * block[o3 + j];
        }
      }
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = sigma[i * d + j] / (n - 1);
      sigma[i * d + j] = v;
      sigma[j * d + i] = v;
    }
  }
  return { mu, sigma };
}
