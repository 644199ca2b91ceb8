/**
 * Likelihood terms of the variational bound (guided-diffusion's losses.py, from Ho et al.): the KL
 * between Gaussians and the discretised Gaussian decoder likelihood of 8-bit images in [-1, 1].
 */
import * as tf from "@tensorflow/tfjs";

type TensorOrNumber = tf.Tensor | number;

/**
 * KL(N(mean1, exp(logvar1)) || N(mean2, exp(logvar2))) elementwise, in nats, broadcasting numbers:
 * 0.5 (-1 + logvar2 - logvar1 + exp(logvar1 - logvar2) + (mean1 - mean2)^2 exp(-logvar2)).
 */
export function normalKl(mean1: TensorOrNumber, logvar1: TensorOrNumber, mean2: TensorOrNumber, logvar2: TensorOrNumber): tf.Tensor {
  return tf.tidy(() => {
    const lv1 = tf.scalar(0).add(logvar1);
    const lv2 = tf.scalar(0).add(logvar2);
    return tf
      .scalar(-1)
      .add(lv2)
      .sub(lv1)
      .add(tf.exp(lv1.sub(lv2)))
      .add(tf.square(tf.sub(mean1, mean2)).mul(tf.exp(lv2.neg())))
      .mul(0.5);
  });
}

/** The tanh approximation of the standard normal CDF: 0.5 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function approxStandardNormalCdf(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf
      .tanh(x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI)))
      .add(1)
      .mul(0.5),
  );
}

/**
 * log P(x) in nats for images x quantised to 256 levels in [-1, 1] under N(means, exp(logScales)^2):
 * the Gaussian mass of the bin [x - 1/255, x + 1/255], with the outer bins extended to -inf
 * (x < -0.999) and +inf (x > 0.999) (Ho et al. 2020, eq. 13).
 */
export function discretizedGaussianLogLikelihood(x: tf.Tensor, means: tf.Tensor, logScales: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(x.shape, means.shape) || !tf.util.arraysEqual(x.shape, logScales.shape)) {
    throw new Error(`x [${x.shape}], means [${means.shape}] and logScales [${logScales.shape}] must have one shape`);
  }
  return tf.tidy(() => {
    const centered = x.sub(means);
    const invStdv = tf.exp(logScales.neg());
    const cdfPlus = approxStandardNormalCdf(invStdv.mul(centered.add(1 / 255)));
    const cdfMin = approxStandardNormalCdf(invStdv.mul(centered.sub(1 / 255)));
    const logCdfPlus = tf.log(tf.maximum(cdfPlus, 1e-12));
    const logOneMinusCdfMin = tf.log(tf.maximum(tf.scalar(1).sub(cdfMin), 1e-12));
    const logCdfDelta = tf.log(tf.maximum(cdfPlus.sub(cdfMin), 1e-12));
    return tf.where(tf.less(x, -0.999), logCdfPlus, tf.where(tf.greater(x, 0.999), logOneMinusCdfMin, logCdfDelta));
  });
}

/** Mean over every axis but the batch axis. */
export function meanFlat(x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.mean(x, Array.from({ length: x.rank - 1 }, (_, i) => i + 1)) as tf.Tensor1D);
}
