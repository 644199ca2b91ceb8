/**
 * Feature extractors: any network that maps NHWC images in [-1, 1] to per-image feature vectors
 * (pooled features for FID and precision/recall, optional spatial features for sFID, optional class
 * probabilities for IS), and the batched loop that runs one over a whole image set.
 */
import * as tf from "@tensorflow/tfjs";
import { FeatureMatrix } from "./feature-matrix";

/** What one forward pass yields; each [batch, dim]. */
export interface FeatureTensors {
  pooled: tf.Tensor2D;
  spatial?: tf.Tensor2D;
  probs?: tf.Tensor2D;
}

/**
 * A network used for metrics. `pooled` is required; `spatial` enables sFID and `probs` (softmax
 * class probabilities) enables IS. `all`, when present, returns every output of one forward pass,
 * and extractFeatures prefers it so that an extractor with several outputs runs its network once.
 */
export interface FeatureExtractor {
  /** short identifier, e.g. "inception-v3" or "pixels"; stored with reference statistics */
  name: string;
  pooled(images: tf.Tensor4D): tf.Tensor2D;
  spatial?(images: tf.Tensor4D): tf.Tensor2D;
  probs?(images: tf.Tensor4D): tf.Tensor2D;
  all?(images: tf.Tensor4D): FeatureTensors;
}

/** uint8 images in [0, 255], NHWC, as in ADM's sample and reference .npz files (arr_0). */
export interface Uint8Images {
  data: Uint8Array;
  shape: [number, number, number, number];
}

/** Images for extractFeatures: a tensor in [-1, 1] or uint8 pixels (converted a batch at a time). */
export type ImageSource = tf.Tensor4D | Uint8Images;

/** Features of a whole image set, float64 and row-major. */
export interface Features {
  pooled: FeatureMatrix;
  spatial?: FeatureMatrix;
  probs?: FeatureMatrix;
}

export interface ExtractOptions {
  /** images per forward pass (default 64, as ADM's evaluator) */
  batchSize?: number;
  /** called after each batch with images done so far and the total */
  onProgress?: (done: number, total: number) => void;
}

/** Images [start, end) of `images` as a float tensor in [-1, 1]; the caller disposes it. */
function batchOf(images: ImageSource, start: number, end: number): tf.Tensor4D {
  if (images instanceof tf.Tensor) return tf.slice(images, [start, 0, 0, 0], [end - start, -1, -1, -1]);
  const [, h, w, c] = images.shape;
  const size = h * w * c;
  const src = images.data.subarray(start * size, end * size);
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] / 127.5 - 1; // [0, 255] -> [-1, 1]
  return tf.tensor4d(out, [end - start, h, w, c]);
}

function checkImages(images: ImageSource): number {
  const shape = images.shape;
  if (shape.length !== 4) throw new Error(`extractFeatures: images have shape [${shape}]; expected NHWC [n, height, width, channels]`);
  if (!(images instanceof tf.Tensor) && images.data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new Error(`extractFeatures: uint8 images hold ${images.data.length} bytes but shape [${shape}] needs ${shape.reduce((a, b) => a * b, 1)}`);
  }
  return shape[0];
}

/** Appends batches of [rows, dim] features into one growing float64 matrix. */
class MatrixBuilder {
  private data: Float64Array | undefined;
  private rows = 0;
  constructor(
    private readonly total: number,
    private readonly what: string,
  ) {}
  async add(t: tf.Tensor2D): Promise<void> {
    const [rows, dim] = t.shape;
    if (!this.data) this.data = new Float64Array(this.total * dim);
    else if (this.data.length !== this.total * dim) throw new Error(`extractFeatures: ${this.what} features changed width to ${dim} between batches`);
    this.data.set(await t.data(), this.rows * dim);
    this.rows += rows;
  }
  build(): FeatureMatrix {
    const data = this.data as Float64Array;
    return { data, shape: [this.total, data.length / this.total] };
  }
}

/** Run `extractor` over `images` in batches and gather its outputs as float64 matrices. */
export async function extractFeatures(extractor: FeatureExtractor, images: ImageSource, opts: ExtractOptions = {}): Promise<Features> {
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`extractFeatures: batchSize = ${batchSize} must be a positive integer`);
  const n = checkImages(images);
  if (n === 0) throw new Error("extractFeatures: no images");
  const pooled = new MatrixBuilder(n, "pooled");
  const spatial = new MatrixBuilder(n, "spatial");
  const probs = new MatrixBuilder(n, "probs");
  let hasSpatial = false,
    hasProbs = false;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const x = batchOf(images, start, end);
    let out: FeatureTensors;
    try {
      out = extractor.all
        ? extractor.all(x)
        : {
            pooled: extractor.pooled(x),
            spatial: extractor.spatial?.(x),
            probs: extractor.probs?.(x),
          };
    } finally {
      x.dispose();
    }
    try {
      await pooled.add(out.pooled);
      if (out.spatial) await spatial.add(out.spatial);
      if (out.probs) await probs.add(out.probs);
    } finally {
      tf.dispose([out.pooled, out.spatial, out.probs].filter((t): t is tf.Tensor2D => t !== undefined));
    }
    hasSpatial = out.spatial !== undefined;
    hasProbs = out.probs !== undefined;
    opts.onProgress?.(end, n);
  }
  return { pooled: pooled.build(), spatial: hasSpatial ? spatial.build() : undefined, probs: hasProbs ? probs.build() : undefined };
}
