/**
 * 2-D points as diffusion data: scale them into [-1, 1] (what the diffusion code assumes, like
 * pixels), quantise them to 8 bits (so a likelihood in bits per dimension means what it means for
 * images), and wrap them as [N, 1, 1, 2] tensors or as an ImageDataset for lib/train.
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageDataset } from "../train/dataset";

/** An affine map x -> (x - center) * scale applied to both coordinates (keeps the aspect ratio). */
export interface UnitBoxScaling {
  /** the points after scaling, row-major [n, 2] */
  x: Float32Array;
  center: [number, number];
  scale: number;
}

/**
 * Centre the points on their bounding box and scale both axes by one factor so that the widest
 * coordinate spans [-(1 - margin), 1 - margin].
 */
export function scaleToUnitBox(x: Float32Array, margin = 0.05): UnitBoxScaling {
  if (x.length % 2 !== 0 || x.length === 0) throw new Error(`scaleToUnitBox: expected a non-empty row-major [n, 2] array; got ${x.length} values`);
  const lo = [Infinity, Infinity],
    hi = [-Infinity, -Infinity];
  for (let i = 0; i < x.length; i++) {
    const d = i % 2;
    lo[d] = Math.min(lo[d], x[i]);
    hi[d] = Math.max(hi[d], x[i]);
  }
  const center: [number, number] = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2];
  const half = Math.max(hi[0] - lo[0], hi[1] - lo[1]) / 2;
  const scale = half > 0 ? (1 - margin) / half : 1;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - center[i % 2]) * scale;
  return { x: out, center, scale };
}

/**
 * Round each value to the nearest of the 256 levels k / 127.5 - 1 (k = 0..255) that 8-bit pixels
 * take in [-1, 1], clamping to [-1, 1] first.
 */
export function quantize8bit(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = Math.round((Math.min(1, Math.max(-1, x[i])) + 1) * 127.5);
    out[i] = k / 127.5 - 1;
  }
  return out;
}

/** Row-major [n, 2] points as an [n, 1, 1, 2] tensor, the shape lib/diffusion works on. */
export function pointsTensor(x: Float32Array, channels = 2): tf.Tensor4D {
  if (x.length % channels !== 0) throw new Error(`pointsTensor: ${x.length} values are not a whole number of ${channels}-D points`);
  return tf.tensor4d(x, [x.length / channels, 1, 1, channels]);
}

/** Points as an ImageDataset of 1x1 "images" with C channels (labels all 0), for lib/train's diffusionTask. */
export function pointsDataset(x: Float32Array, name = "points", channels = 2): ImageDataset {
  if (x.length % channels !== 0 || x.length === 0) throw new Error(`pointsDataset: ${x.length} values are not a whole number of ${channels}-D points`);
  const n = x.length / channels;
  return { images: x, labels: new Int32Array(n), n, shape: [1, 1, channels], numClasses: 1, name };
}
