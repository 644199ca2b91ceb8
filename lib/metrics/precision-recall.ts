/**
 * Improved precision and recall (Kynkaanniemi et al. 2019, "Improved Precision and Recall Metric for
 * Assessing Generative Models"), as ADM's evaluator computes them. Each point of a set gets a radius:
 * the squared distance to its k-th nearest neighbour in its own set (the point itself being the 0th).
 * The union of these balls estimates that set's manifold.
 *
 *   precision = fraction of fake samples inside the manifold of the real ones (any real ball)
 *   recall    = fraction of real samples inside the manifold of the fake ones (any fake ball)
 *
 * Squared distances come from |u|^2 - 2 u.v + |v|^2 with a float32 tfjs matmul, in blocks of
 * batchSize x batchSize, so 10k x 10k sets need only a few block-sized buffers.
 */
import * as tf from "@tensorflow/tfjs";
import { checkFeatureMatrix, FeatureMatrix } from "./feature-matrix";

export interface PrecisionRecallOptions {
  /** neighbourhood size for the radii (default 3, as in ADM) */
  k?: number;
  /** rows and columns per distance block (default 1000: a 4 MB float32 block) */
  batchSize?: number;
}

/** Options of {@link precisionRecall}. */
export interface PrecisionRecallRunOptions extends PrecisionRecallOptions {
  /** the real set's radii, `manifoldRadii(real, {k})`, when a fixed reference is compared with many sets (they cost |real|^2 distances) */
  realRadii?: Float64Array;
}

export interface PrecisionRecall {
  precision: number;
  recall: number;
}

function toTensor(m: FeatureMatrix): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(m.data), m.shape);
}

/** Squared Euclidean distances between the rows of x [a, d] and y [b, d], clamped at 0: a row-major a x b array. */
function squaredDistances(x: tf.Tensor2D, y: tf.Tensor2D): Float32Array {
  const d = tf.tidy(() => {
    const nx = tf.sum(tf.square(x), 1).reshape([-1, 1]);
    const ny = tf.sum(tf.square(y), 1).reshape([1, -1]);
    return tf.relu(tf.add(tf.sub(nx, tf.mul(2, tf.matMul(x, y, false, true))), ny));
  });
  try {
    return d.dataSync() as Float32Array;
  } finally {
    d.dispose(); // one block of a 10k x 10k comparison is 4 MB; kept, they filled wasm's memory within a few calls
  }
}

/** `opts` with its defaults (k = 3, batchSize = 1000), checked; `who` names the caller in errors. */
function resolveOptions(opts: PrecisionRecallOptions, who: string): Required<PrecisionRecallOptions> {
  const k = opts.k ?? 3;
  const batchSize = opts.batchSize ?? 1000;
  if (!Number.isInteger(k) || k < 1) throw new Error(`${who}: k = ${k} must be a positive integer`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${who}: batchSize = ${batchSize} must be a positive integer`);
  return { k, batchSize };
}

/** Each row's squared distance to its k-th nearest neighbour within `features` (index k of its sorted distances). */
export function manifoldRadii(features: FeatureMatrix, opts: PrecisionRecallOptions = {}): Float64Array {
  const { k, batchSize } = resolveOptions(opts, "manifoldRadii");
  checkFeatureMatrix(features, "manifoldRadii");
  const all = toTensor(features);
  try {
    return radiiOf(all, k, batchSize);
  } finally {
    all.dispose();
  }
}

function radiiOf(all: tf.Tensor2D, k: number, batchSize: number): Float64Array {
  const n = all.shape[0];
  const radii = new Float64Array(n);
  const smallest = new Float64Array(k + 1); // the k+1 smallest distances of one row, ascending
  for (let r0 = 0; r0 < n; r0 += batchSize) {
    const rows = Math.min(batchSize, n - r0);
    const best = new Float64Array(rows * (k + 1)).fill(Infinity);
    const x = all.slice([r0, 0], [rows, -1]);
    for (let c0 = 0; c0 < n; c0 += batchSize) {
      const cols = Math.min(batchSize, n - c0);
      const y = all.slice([c0, 0], [cols, -1]);
      const dist = squaredDistances(x, y);
      y.dispose();
      for (let i = 0; i < rows; i++) {
        const o = i * (k + 1);
        for (let t = 0; t <= k; t++) smallest[t] = best[o + t];
        for (let j = 0; j < cols; j++) {
          const v = dist[i * cols + j];
          if (v >= smallest[k]) continue;
          // insertion into the sorted k+1 buffer
          let t = k;
          while (t > 0 && smallest[t - 1] > v) {
            smallest[t] = smallest[t - 1];
            t--;
          }
          smallest[t] = v;
        }
        for (let t = 0; t <= k; t++) best[o + t] = smallest[t];
      }
    }
    x.dispose();
    for (let i = 0; i < rows; i++) radii[r0 + i] = best[i * (k + 1) + k];
  }
  return radii;
}

/**
 * Precision and recall of `fake` against `real` (both n x d features from the same extractor).
 */
export function precisionRecall(real: FeatureMatrix, fake: FeatureMatrix, opts: PrecisionRecallRunOptions = {}): PrecisionRecall {
  const { k, batchSize } = resolveOptions(opts, "precisionRecall");
  checkFeatureMatrix(real, "precisionRecall real");
  checkFeatureMatrix(fake, "precisionRecall fake");
  if (real.shape[1] !== fake.shape[1]) {
    throw new Error(`precisionRecall: real features have d = ${real.shape[1]} but fake have d = ${fake.shape[1]}; use the same extractor for both`);
  }
  for (const [m, what] of [
    [real, "real"],
    [fake, "fake"],
  ] as const) {
    if (m.shape[0] <= k) throw new Error(`precisionRecall: ${what} has ${m.shape[0]} samples; k = ${k} nearest neighbours need more than ${k}`);
  }
  if (opts.realRadii && opts.realRadii.length !== real.shape[0])
    throw new Error(`precisionRecall: realRadii holds ${opts.realRadii.length} radii but real has ${real.shape[0]} samples; pass manifoldRadii(real)`);
  const realAll = toTensor(real),
    fakeAll = toTensor(fake);
  try {
    return compare(realAll, fakeAll, k, batchSize, opts.realRadii);
  } finally {
    realAll.dispose();
    fakeAll.dispose();
  }
}

function compare(realAll: tf.Tensor2D, fakeAll: tf.Tensor2D, k: number, batchSize: number, given?: Float64Array): PrecisionRecall {
  const realRadii = given ?? radiiOf(realAll, k, batchSize);
  const fakeRadii = radiiOf(fakeAll, k, batchSize);
  const [nReal, nFake] = [realAll.shape[0], fakeAll.shape[0]];
  const realIn = new Uint8Array(nReal); // real sample inside some fake ball: counts toward recall
  const fakeIn = new Uint8Array(nFake); // fake sample inside some real ball: counts toward precision
  for (let r0 = 0; r0 < nReal; r0 += batchSize) {
    const rows = Math.min(batchSize, nReal - r0);
    const x = realAll.slice([r0, 0], [rows, -1]);
    for (let c0 = 0; c0 < nFake; c0 += batchSize) {
      const cols = Math.min(batchSize, nFake - c0);
      const y = fakeAll.slice([c0, 0], [cols, -1]);
      const dist = squaredDistances(x, y);
      y.dispose();
      for (let i = 0; i < rows; i++) {
        const ri = realRadii[r0 + i];
        for (let j = 0; j < cols; j++) {
          const v = dist[i * cols + j];
          if (v <= ri) fakeIn[c0 + j] = 1;
          if (v <= fakeRadii[c0 + j]) realIn[r0 + i] = 1;
        }
      }
    }
    x.dispose();
  }
  const mean = (a: Uint8Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  return { precision: mean(fakeIn), recall: mean(realIn) };
}
