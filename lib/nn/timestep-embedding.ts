/**
 * Sinusoidal timestep embedding exactly as guided-diffusion's `timestep_embedding`:
 * `[cos(t f) | sin(t f)]` (cos half first), `f_i = exp(-ln(maxPeriod) * i / half)`, all in float32,
 * and a zero column when `dim` is odd.
 */
import * as tf from "@tensorflow/tfjs";

/** The frequencies f_i, rounded to float32 after each operation as PyTorch computes them. */
export function timestepFrequencies(half: number, maxPeriod = 10000): Float32Array {
  const negLog = Math.fround(-Math.log(maxPeriod));
  const f = new Float32Array(half);
  for (let i = 0; i < half; i++) f[i] = Math.exp(Math.fround(Math.fround(negLog * i) / half));
  return f;
}

/**
 * @param t `[N]` timesteps (int or float; may be fractional)
 * @param dim embedding width
 * @returns `[N, dim]` float32
 */
export function timestepEmbedding(t: tf.Tensor1D, dim: number, maxPeriod = 10000): tf.Tensor2D {
  const half = Math.floor(dim / 2);
  return tf.tidy(() => {
    const freqs = tf.tensor2d(timestepFrequencies(half, maxPeriod), [1, half]);
    const args = tf.mul(t.toFloat().reshape([-1, 1]), freqs);
    const parts = [tf.cos(args), tf.sin(args)];
    if (dim % 2) parts.push(tf.zeros([t.shape[0], 1]));
    return tf.concat(parts, 1) as tf.Tensor2D;
  });
}
