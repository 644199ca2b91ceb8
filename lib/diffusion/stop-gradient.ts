/** Identity whose gradient is zero (torch's `.detach()` inside a differentiable expression). */
import * as tf from "@tensorflow/tfjs";

const detach = tf.customGrad((x) => ({ value: (x as tf.Tensor).clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) }));

/** x with gradients blocked. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return detach(x) as T;
}
