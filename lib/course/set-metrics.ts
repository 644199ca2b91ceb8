/**
 * Metrics of a sample set against the Fashion-MNIST test set in the course's feature space
 * (models/fashion-features on the engine): FID, precision and recall (k = 3), as ADM's evaluator
 * computes them on Inception features; sFID needs spatial features, which this network does not
 * give, so it is left out. The test set's features and statistics are computed once and cached (in
 * memory, and under build/cache keyed by the feature network's and the images' bytes).
 *
 * How much does an n-sample FID move by chance? `realFidSpread` measures it: the FID of several
 * disjoint n-image draws of the training set against the test set, whose mean is also the floor a
 * perfect model of n samples would reach (FID is biased upward for small n).
 *   const m = await fashionSetMetrics(readSampleSet("samples/guidance/scale-4.npz").images);
 *   const spread = await realFidSpread(1000, { draws: 5 });   // { mean, std, fids, ... }
 */
import { createHash } from "crypto";
import { existsSync, readFileSync } from "fs";
import { join, resolve } from "path";
import { loadFashionMnist } from "../data/index";
import { readNpz, writeNpz } from "../io/npz";
import { ensureDir } from "../io/write-files";
import { computeStatistics, evaluateFeatures, frechetDistance, manifoldRadii, precisionRecall } from "../metrics/index";
import type { EvaluationResult, FeatureMatrix, Features, GaussianStatistics, Uint8Images } from "../metrics/index";
import { engineFeatures, type EngineFeatureOptions } from "./features-on-engine";

/** The shipped feature network. */
export const FASHION_FEATURES_DIR = resolve(__dirname, "../../models/fashion-features");
const DEFAULT_CACHE = resolve(__dirname, "../../build/cache");

export interface SetMetricsOptions extends Pick<EngineFeatureOptions, "threads" | "onProgress"> {
  /** the clean feature classifier (default models/fashion-features) */
  features?: string;
  /** folder for cached reference features (default build/cache); null keeps them in memory only */
  cacheDir?: string | null;
  /** use only the first m test images as the reference (default all 10,000; small in tests) */
  referenceCount?: number;
}

/** Features of a reference set, with the Gaussian statistics FID compares against and, once asked for, its precision/recall radii (k = 3). */
export interface ReferenceFeatures {
  features: Features;
  stats: GaussianStatistics;
  radii?: Float64Array;
}

/** The reference's k = 3 radii, computed on first use and kept (they cost |reference|^2 distances; 10,000 images take seconds). */
function radiiOf(ref: ReferenceFeatures): Float64Array {
  ref.radii ??= manifoldRadii(ref.features.pooled);
  return ref.radii;
}

const memory = new Map<string, ReferenceFeatures>();

function sha(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

/** The first `count` images of a Fashion-MNIST split, as uint8 NHWC. */
function splitImages(split: "train" | "test", count: number | undefined): Uint8Images {
  const d = loadFashionMnist(split);
  const m = count ?? d.n;
  if (!Number.isInteger(m) || m < 1 || m > d.n) throw new Error(`Fashion-MNIST ${split}: asked for ${m} images; it has ${d.n}`);
  return { data: d.images.subarray(0, m * d.height * d.width), shape: [m, d.height, d.width, 1] };
}

/**
 * Features and statistics of the first `count` images of a Fashion-MNIST split (all when absent),
 * from memory, the disk cache, or the engine; the cache key is the network's and the images' hashes.
 */
export async function fashionReference(split: "train" | "test", count: number | undefined, opts: SetMetricsOptions = {}): Promise<ReferenceFeatures> {
  const dir = opts.features ?? FASHION_FEATURES_DIR;
  const images = splitImages(split, count);
  const key = `fashion-${split}-${images.shape[0]}-${sha(readFileSync(join(dir, "model.safetensors")))}-${sha(images.data)}`;
  const hit = memory.get(key);
  if (hit) return hit;
  const cacheDir = opts.cacheDir === undefined ? DEFAULT_CACHE : opts.cacheDir;
  const file = cacheDir === null ? null : join(cacheDir, `${key}.npz`);
  let features: Features;
  if (file && existsSync(file)) {
    const a = readNpz(file);
    const matrix = (k: string): FeatureMatrix => {
      const r = a.get(k)!;
      return { data: Float64Array.from(r.data as Float32Array), shape: [r.shape[0], r.shape[1]] };
    };
    features = { pooled: matrix("pooled"), probs: matrix("probs") };
  } else {
    features = await engineFeatures(dir, images, opts);
    if (file) {
      ensureDir(cacheDir as string);
      // the engine's outputs are float32, so float32 keeps them exactly
      const record = (m: FeatureMatrix) => ({ dtype: "float32" as const, shape: [...m.shape], data: Float32Array.from(m.data) });
      writeNpz(file, { pooled: record(features.pooled), probs: record(features.probs!) });
    }
  }
  const ref = { features, stats: computeStatistics(features.pooled) };
  memory.set(key, ref);
  return ref;
}

/** FID, precision, recall of `images` (uint8 NHWC, 28x28 or 32x32) against the Fashion-MNIST test set. */
export async function fashionSetMetrics(images: Uint8Images, opts: SetMetricsOptions = {}): Promise<EvaluationResult & { n: number; referenceN: number }> {
  if (images.shape[0] < 4) throw new Error(`fashionSetMetrics: ${images.shape[0]} images; FID and 3-nearest-neighbour precision/recall need at least 4`);
  const ref = await fashionReference("test", opts.referenceCount, opts);
  const samples = await engineFeatures(opts.features ?? FASHION_FEATURES_DIR, images, opts);
  const result = evaluateFeatures(samples, ref.features, { referenceStats: ref.stats, referenceRadii: radiiOf(ref) });
  delete result.inceptionScore; // a 10-class network's IS is not the paper's; keep the suite to what the course reports
  return { ...result, n: images.shape[0], referenceN: ref.features.pooled.shape[0] };
}

/** What `fidSpread` measures: the FID (and precision, recall) of each draw, and the FIDs' mean and standard deviation. */
export interface FidSpread {
  n: number;
  draws: number;
  fids: number[];
  precisions: number[];
  recalls: number[];
  mean: number;
  /** sample standard deviation (n - 1 in the denominator) of the draws' FIDs */
  std: number;
}

/** Rows [start, start + n) of a feature matrix. */
function rows(m: FeatureMatrix, start: number, n: number): FeatureMatrix {
  const d = m.shape[1];
  return { data: m.data.subarray(start * d, (start + n) * d), shape: [n, d] };
}

/**
 * The FID of `draws` disjoint n-row blocks of `pool` (rows 0..n-1, n..2n-1, ...) against `reference`,
 * with precision and recall; the spread of FID that chance alone gives n samples of the pool's distribution.
 */
export function fidSpread(pool: FeatureMatrix, reference: ReferenceFeatures, n: number, draws: number): FidSpread {
  if (!Number.isInteger(n) || n < 4) throw new Error(`fidSpread: n = ${n}; each draw needs at least 4 rows`);
  if (!Number.isInteger(draws) || draws < 2) throw new Error(`fidSpread: draws = ${draws}; a spread needs at least 2 draws`);
  if (n * draws > pool.shape[0]) throw new Error(`fidSpread: ${draws} disjoint draws of ${n} need ${n * draws} rows; the pool has ${pool.shape[0]}`);
  const fids: number[] = [],
    precisions: number[] = [],
    recalls: number[] = [];
  for (let k = 0; k < draws; k++) {
    const block = rows(pool, k * n, n);
    fids.push(frechetDistance(computeStatistics(block), reference.stats));
    const pr = precisionRecall(reference.features.pooled, block, { realRadii: radiiOf(reference) });
    precisions.push(pr.precision);
    recalls.push(pr.recall);
  }
  const mean = fids.reduce((a, b) => a + b, 0) / draws;
  const std = Math.sqrt(fids.reduce((a, f) => a + (f - mean) ** 2, 0) / (draws - 1));
  return { n, draws, fids, precisions, recalls, mean, std };
}

/**
 * FID of `draws` disjoint n-image draws of the Fashion-MNIST training set (its first n * draws
 * images, which the file holds in no class order) against the test set: how much an n-sample FID
 * varies, and the floor a model that reproduces the training distribution would reach at n.
 */
export async function realFidSpread(n: number, opts: SetMetricsOptions & { draws?: number } = {}): Promise<FidSpread> {
  const draws = opts.draws ?? 5;
  const ref = await fashionReference("test", opts.referenceCount, opts);
  const train = await fashionReference("train", n * draws, opts);
  return fidSpread(train.features.pooled, ref, n, draws);
}

/** FID, precision, recall of the first n training images against the test set: the floor a card puts beside a model's n-sample FID. */
export async function trainingSetMetrics(n: number, opts: SetMetricsOptions = {}): Promise<EvaluationResult & { n: number; referenceN: number }> {
  const ref = await fashionReference("test", opts.referenceCount, opts);
  const train = await fashionReference("train", n, opts);
  const result = evaluateFeatures(train.features, ref.features, { referenceStats: ref.stats, referenceRadii: radiiOf(ref) });
  delete result.inceptionScore;
  return { ...result, n, referenceN: ref.features.pooled.shape[0] };
}
