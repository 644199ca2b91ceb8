/**
 * Gather per-example coefficients from a float64 table for a batch of timesteps, cast to float32
 * (guided-diffusion's `_extract_into_tensor`), shaped [N, 1, 1, 1] to broadcast over NHWC images.
 */
import * as tf from "@tensorflow/tfjs";

/** table[t] as float32, shape [N, 1, 1, 1]. */
export function extractIntoTensor(table: ArrayLike<number>, t: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => tf.gather(tf.tensor1d(Float32Array.from(table)), t).reshape([-1, 1, 1, 1]) as tf.Tensor4D);
}

/** table[t] broadcast to `shape` (for variances returned alongside images). */
export function extractBroadcast(table: ArrayLike<number>, t: tf.Tensor1D, shape: number[]): tf.Tensor4D {
  return tf.tidy(() => tf.broadcastTo(extractIntoTensor(table, t), shape as [number, number, number, number]) as tf.Tensor4D);
}

/** Check that t holds one int32 timestep per batch item of x. */
export function checkTimesteps(t: tf.Tensor1D, x: tf.Tensor, numTimesteps: number): void {
  if (t.rank !== 1 || t.shape[0] !== x.shape[0]) {
    throw new Error(`t must be a Tensor1D with one timestep per batch item (${x.shape[0]}); got shape [${t.shape.join(", ")}]`);
  }
  if (t.dtype !== "int32") throw new Error(`t must be int32 timestep indices in 0..${numTimesteps - 1}; got dtype ${t.dtype}`);
}
