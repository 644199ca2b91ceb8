/**
 * ADM's reference batches and sample files (.npz): `arr_0` holds uint8 images NHWC in [0, 255]; a
 * reference batch may also hold Inception statistics `mu`, `sigma` (pool3, for FID) and `mu_s`,
 * `sigma_s` (spatial, for sFID), which ADM's evaluator uses instead of recomputing them. Sample files
 * from image_sample.py may carry labels in `arr_1`, which metrics ignore.
 */
import { refuse } from "../io/errors";
import { readNpz, writeNpz } from "../io/npz";
import { TensorRecord } from "../io/tensor-record";
import { Uint8Images } from "./feature-extractor";
import { GaussianStatistics } from "./statistics";

const ADM_LAYOUT = "save samples or references as ADM does: arr_0 uint8 NHWC images, optional float64 mu/sigma (and mu_s/sigma_s)";

export interface ReferenceBatch {
  /** arr_0 */
  images?: Uint8Images;
  /** mu, sigma: pool3 statistics of the FID InceptionV3 */
  stats?: GaussianStatistics;
  /** mu_s, sigma_s: spatial statistics for sFID */
  spatialStats?: GaussianStatistics;
}

function toFloat64(r: TensorRecord, path: string, key: string): Float64Array {
  if (r.dtype === "float64") return r.data as Float64Array;
  if (r.dtype === "float32") return Float64Array.from(r.data as Float32Array);
  return refuse(path, `array ${key}`, `${key} has dtype ${r.dtype}; statistics are float64 or float32`, ADM_LAYOUT);
}

function readStats(arrays: Map<string, TensorRecord>, path: string, muKey: string, sigmaKey: string): GaussianStatistics | undefined {
  const mu = arrays.get(muKey),
    sigma = arrays.get(sigmaKey);
  if (!mu && !sigma) return undefined;
  if (!mu || !sigma)
    refuse(path, `array ${mu ? sigmaKey : muKey}`, `has ${mu ? muKey : sigmaKey} but not ${mu ? sigmaKey : muKey}; statistics need both`, ADM_LAYOUT);
  const d = mu.data.length;
  if (d < 1 || mu.shape.length !== 1 || sigma.shape.length !== 2 || sigma.shape[0] !== d || sigma.shape[1] !== d) {
    refuse(path, `array ${sigmaKey}`, `${muKey} has shape [${mu.shape}] and ${sigmaKey} [${sigma.shape}]; expected [d] and [d, d]`, ADM_LAYOUT);
  }
  const stats = { mu: toFloat64(mu, path, muKey), sigma: toFloat64(sigma, path, sigmaKey) };
  for (const [key, v] of [
    [muKey, stats.mu],
    [sigmaKey, stats.sigma],
  ] as const) {
    const bad = v.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0)
      refuse(
        path,
        `array ${key}`,
        `${key}[${bad}] is ${v[bad]}; statistics must be finite`,
        "recompute the reference statistics (or drop mu/sigma to compute them from arr_0)",
      );
  }
  return stats;
}

/** Read a sample or reference .npz; grey images stored as [n, h, w] get a channel axis. Throws AdmInputError naming the file and array. */
export function readReferenceBatch(path: string): ReferenceBatch {
  const arrays = readNpz(path);
  const out: ReferenceBatch = {
    stats: readStats(arrays, path, "mu", "sigma"),
    spatialStats: readStats(arrays, path, "mu_s", "sigma_s"),
  };
  const images = arrays.get("arr_0");
  if (images) {
    if (images.dtype !== "uint8")
      refuse(path, "array arr_0", `arr_0 has dtype ${images.dtype}; expected uint8 images in [0, 255] (as ADM's image_sample.py saves them)`, ADM_LAYOUT);
    const s = images.shape;
    const shape: [number, number, number, number] | undefined = s.length === 3 ? [s[0], s[1], s[2], 1] : s.length === 4 ? [s[0], s[1], s[2], s[3]] : undefined;
    if (!shape || shape.some((v) => v < 1) || (shape[3] !== 1 && shape[3] !== 3)) {
      refuse(path, "array arr_0", `arr_0 has shape [${s}]; expected NHWC [n, height, width, channels] with at least one image and 1 or 3 channels`, ADM_LAYOUT);
    }
    out.images = { data: images.data as Uint8Array, shape };
  }
  if (!out.images && !out.stats) {
    refuse(path, "its arrays", `no arr_0 (images) and no mu/sigma (statistics); keys are ${[...arrays.keys()].join(", ") || "none"}`, ADM_LAYOUT);
  }
  return out;
}

/** Write a reference batch in ADM's layout (uncompressed .npz, statistics as float64). */
export function writeReferenceBatch(path: string, batch: ReferenceBatch): void {
  const arrays: Record<string, TensorRecord> = {};
  if (batch.images) arrays.arr_0 = { dtype: "uint8", shape: batch.images.shape.slice(), data: batch.images.data };
  for (const [stats, muKey, sigmaKey] of [
    [batch.stats, "mu", "sigma"],
    [batch.spatialStats, "mu_s", "sigma_s"],
  ] as const) {
    if (!stats) continue;
    const d = stats.mu.length;
    arrays[muKey] = { dtype: "float64", shape: [d], data: stats.mu };
    arrays[sigmaKey] = { dtype: "float64", shape: [d, d], data: stats.sigma };
  }
  writeNpz(path, arrays);
}
