/**
 * Exact models for toy data, for tests: the true eps-prediction E[eps | x_t] of Gaussian and
 * two-Gaussian-mixture data, and the exact classifier of the mixture. They read alphaBar at the
 * ORIGINAL timestep the diffusion passes them, so they are right on any respacing.
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionModel, NoisyClassifier } from "../../lib/diffusion";

/** alphaBar of the un-respaced process at the timesteps a model receives, shaped [N, 1, 1, 1]. */
function alphaBarAt(baseAlphasCumprod: Float64Array, t: tf.Tensor1D): tf.Tensor4D {
  return tf.gather(tf.tensor1d(Float32Array.from(baseAlphasCumprod)), t.toInt()).reshape([-1, 1, 1, 1]) as tf.Tensor4D;
}

/**
 * Data x_0 ~ N(m, s^2) per pixel: x_t ~ N(sqrt(ab) m, ab s^2 + 1 - ab), so
 * E[eps | x_t] = sqrt(1 - ab) (x_t - sqrt(ab) m) / (ab s^2 + 1 - ab). s = 0 is a point mass at m.
 */
export function gaussianEpsModel(baseAlphasCumprod: Float64Array, m: number, s: number): DiffusionModel {
  return {
    forward: (x, t) =>
      tf.tidy(() => {
        const ab = alphaBarAt(baseAlphasCumprod, t);
        const one = tf.scalar(1);
        return tf
          .sqrt(one.sub(ab))
          .mul(x.sub(tf.sqrt(ab).mul(m)))
          .div(ab.mul(s * s).add(one.sub(ab))) as tf.Tensor4D;
      }),
  };
}

/** Log-likelihood of x_t under each mixture component k: -|x - sqrt(ab) mu_k|^2 / (2 v), [N, K]. */
function componentLogits(baseAlphasCumprod: Float64Array, centers: number[][], s: number, x: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const ab = alphaBarAt(baseAlphasCumprod, t).reshape([-1, 1]);
    const v = ab.mul(s * s).add(tf.scalar(1).sub(ab));
    const flat = x.reshape([x.shape[0], 1, -1]); // [N, 1, D]
    const mu = tf.tensor2d(centers).expandDims(0).mul(tf.sqrt(ab).expandDims(2)); // [N, K, D]
    return tf
      .sum(tf.square(flat.sub(mu)), 2)
      .div(v)
      .mul(-0.5) as tf.Tensor2D;
  });
}

/**
 * Equal-weight mixture of N(mu_k, s^2 I) over D = H*W*C dims: eps = sqrt(1 - ab) (x - sum_k r_k
 * sqrt(ab) mu_k) / v with responsibilities r_k and v = ab s^2 + 1 - ab.
 */
export function mixtureEpsModel(baseAlphasCumprod: Float64Array, centers: number[][], s: number): DiffusionModel {
  return {
    forward: (x, t) =>
      tf.tidy(() => {
        const ab = alphaBarAt(baseAlphasCumprod, t);
        const v = ab.mul(s * s).add(tf.scalar(1).sub(ab));
        const r = tf.softmax(componentLogits(baseAlphasCumprod, centers, s, x, t)); // [N, K]
        const meanMu = tf.matMul(r, tf.tensor2d(centers)).reshape(x.shape); // sum_k r_k mu_k
        return tf
          .sqrt(tf.scalar(1).sub(ab))
          .mul(x.sub(tf.sqrt(ab).mul(meanMu)))
          .div(v) as tf.Tensor4D;
      }),
  };
}

/** The exact noisy classifier of the mixture: log p(k | x_t) up to a constant. */
export function mixtureClassifier(baseAlphasCumprod: Float64Array, centers: number[][], s: number): NoisyClassifier {
  return { forward: (x, t) => componentLogits(baseAlphasCumprod, centers, s, x, t) };
}

/** Sample mean and variance of a tensor's values (float64 accumulation). */
export function moments(x: tf.Tensor): { mean: number; variance: number; n: number } {
  const v = x.dataSync();
  let sum = 0;
  for (const a of v) sum += a;
  const mean = sum / v.length;
  let ss = 0;
  for (const a of v) ss += (a - mean) ** 2;
  return { mean, variance: ss / (v.length - 1), n: v.length };
}
