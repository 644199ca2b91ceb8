/**
 * Ready-made feature extractors: the FID InceptionV3, raw pixels (optionally through a fixed random
 * projection), and an adapter for any model with penultimate features and logits (for example a
 * small Fashion-MNIST classifier, the course's stand-in for Inception).
 */
import * as tf from "@tensorflow/tfjs";
import { FeatureExtractor, FeatureTensors } from "./feature-extractor";
import { inceptionForward, InceptionV3 } from "./inception-v3";

/** Derive the single-output methods from `all`, disposing what each one does not return. */
function fromAll(name: string, all: (images: tf.Tensor4D) => FeatureTensors, outputs: Array<"spatial" | "probs">): FeatureExtractor {
  const pick =
    (key: keyof FeatureTensors) =>
    (images: tf.Tensor4D): tf.Tensor2D => {
      const out = all(images);
      const keep = out[key];
      tf.dispose([out.pooled, out.spatial, out.probs].filter((t): t is tf.Tensor2D => t !== undefined && t !== keep));
      if (!keep) throw new Error(`feature extractor "${name}" has no ${key} output`);
      return keep;
    };
  const extractor: FeatureExtractor = { name, all, pooled: pick("pooled") };
  if (outputs.includes("spatial")) extractor.spatial = pick("spatial");
  if (outputs.includes("probs")) extractor.probs = pick("probs");
  return extractor;
}

/** FID / sFID / IS features from the FID InceptionV3 (see ./inception-v3 for which layer is which). */
export function inceptionFeatureExtractor(net: InceptionV3): FeatureExtractor {
  return fromAll(
    "inception-v3",
    (images) => {
      const { pool3, spatial, logits } = inceptionForward(net, images);
      const probs = tf.softmax(logits) as tf.Tensor2D;
      logits.dispose();
      return { pooled: pool3, spatial, probs };
    },
    ["spatial", "probs"],
  );
}

export interface PixelFeatureOptions {
  /** resize images to [height, width] first (bilinear), so sets of different sizes compare */
  size?: [number, number];
  /** project the flattened pixels to this many dimensions with a fixed Gaussian matrix (scaled by 1/sqrt(dim)) */
  projection?: number;
  /** seed of the projection matrix (default 0) */
  seed?: number;
}

/** A deterministic N(0, 1) stream: mulberry32 uniforms through Box-Muller. */
function gaussians(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform())),
      a = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(a);
    if (i + 1 < count) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/**
 * Pixels as features: the flattened image in [-1, 1], or a fixed random projection of it (Johnson-
 * Lindenstrauss: distances are roughly preserved). A sanity baseline, and the only extractor that
 * needs no trained network. The projection matrix is made on first use and kept; `dispose` frees it.
 */
export function pixelFeatureExtractor(opts: PixelFeatureOptions = {}): FeatureExtractor & { dispose(): void } {
  let projection: tf.Tensor2D | undefined;
  const name = opts.projection ? `pixels-proj${opts.projection}-seed${opts.seed ?? 0}` : "pixels";
  const pooled = (images: tf.Tensor4D): tf.Tensor2D => {
    const flat = tf.tidy(() => {
      const x = opts.size ? tf.image.resizeBilinear(images, opts.size) : images;
      return tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
    });
    if (!opts.projection) return flat;
    const dim = flat.shape[1];
    if (!projection) {
      projection = tf.tidy(
        () =>
          tf.mul(
            tf.tensor2d(gaussians(dim * (opts.projection as number), opts.seed ?? 0), [dim, opts.projection as number]),
            1 / Math.sqrt(opts.projection as number),
          ) as tf.Tensor2D,
      );
    } else if (projection.shape[0] !== dim) {
      flat.dispose();
      throw new Error(
        `pixel features: images flatten to ${dim} values but the projection was made for ${projection.shape[0]}; pass size to resize all sets alike`,
      );
    }
    const out = tf.matMul(flat, projection) as tf.Tensor2D;
    flat.dispose();
    return out;
  };
  return { name, pooled, dispose: () => projection?.dispose() };
}

/** What a wrapped model returns: features alone, [features, logits], or a record of both. */
export type ModelOutput = tf.Tensor | tf.Tensor[] | { features: tf.Tensor; logits?: tf.Tensor };

/** A function of images in [-1, 1], or any object with predict (a tf.LayersModel or GraphModel). */
export type FeatureModel = ((images: tf.Tensor4D) => ModelOutput) | { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] };

export interface ModelFeatureOptions {
  /** identifier stored with statistics, e.g. "fashion-cnn" */
  name: string;
  /** resize images to [height, width] (bilinear) before the model sees them */
  inputSize?: [number, number];
}

/**
 * Adapt a model with penultimate `features` (-> pooled, for FID and precision/recall) and optional
 * `logits` (-> softmax probs, for IS). Features of any rank are flattened per image.
 */
export function modelFeatureExtractor(model: FeatureModel, opts: ModelFeatureOptions): FeatureExtractor {
  const run = typeof model === "function" ? model : (x: tf.Tensor4D) => model.predict(x);
  const all = (images: tf.Tensor4D): FeatureTensors => {
    const [pooled, probs] = tf.tidy((): tf.Tensor2D[] => {
      const x = opts.inputSize ? tf.image.resizeBilinear(images, opts.inputSize) : images;
      const out = run(x);
      let features: tf.Tensor, logits: tf.Tensor | undefined;
      if (out instanceof tf.Tensor) features = out;
      else if (Array.isArray(out)) [features, logits] = out;
      else ({ features, logits } = out);
      if (!(features instanceof tf.Tensor)) throw new Error(`model "${opts.name}" returned no features tensor`);
      const n = images.shape[0];
      const flat = tf.reshape(features, [n, -1]) as tf.Tensor2D;
      return logits ? [flat, tf.softmax(tf.reshape(logits, [n, -1])) as tf.Tensor2D] : [flat];
    });
    return { pooled, probs };
  };
  return fromAll(opts.name, all, ["probs"]);
}
