/**
 * Gradient clipping by global norm: when ||g|| = sqrt(sum_i ||g_i||^2) exceeds `maxNorm`, every
 * gradient is scaled by maxNorm / ||g|| (as torch.nn.utils.clip_grad_norm_).
 */
import * as tf from "@tensorflow/tfjs";

/** The global norm of the gradients, and the clipped gradients (new tensors; the caller disposes both maps). */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { norm: number; grads: Map<string, tf.Tensor> } {
  const norm = tf.tidy(() => {
    const sq = Array.from(grads.values()).map((g) => g.square().sum());
    return Math.sqrt(tf.addN(sq).dataSync()[0]);
  });
  const scale = isFinite(maxNorm) && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  const out = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) out.set(name, scale === 1 ? g.clone() : tf.tidy(() => g.mul(scale)));
  return { norm, grads: out };
}
