/** Features of n samples as a row-major float64 n x d matrix: the common currency of the metrics. */
export interface FeatureMatrix {
  /** row-major, sample i is data[i*d .. (i+1)*d) */
  data: Float64Array;
  /** [n samples, d features] */
  shape: [number, number];
}

/** Throw a clear error unless `m` is a consistent n x d matrix; `what` names it in the message. */
export function checkFeatureMatrix(m: FeatureMatrix, what: string): void {
  const [n, d] = m.shape;
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 1) {
    throw new Error(`${what}: shape [${m.shape}] is not [n samples, d features] with d >= 1`);
  }
  if (m.data.length !== n * d) {
    throw new Error(`${what}: data has ${m.data.length} numbers but shape [${n}, ${d}] needs ${n * d}`);
  }
}
