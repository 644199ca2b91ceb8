/** SiLU (swish), x * sigmoid(x): guided-diffusion's only activation. */
import * as tf from "@tensorflow/tfjs";

export function silu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)) as T);
}
