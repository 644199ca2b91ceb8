/**
 * One term L_t of the variational bound in bits per dimension (guided-diffusion's _vb_terms_bpd):
 * the decoder NLL -log p(x_0 | x_1) at t = 0, KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) otherwise
 * (DDPM eq. 5).
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionProcess } from "./process";
import type { PMeanVariance } from "./p-mean-variance";
import { qPosteriorMeanVariance } from "./forward";
import { discretizedGaussianLogLikelihood, meanFlat, normalKl } from "./losses";

/** L_t per batch item, in bits/dim, for the reverse step `pmv` taken from x_t. */
export function vbTermsBpd(d: DiffusionProcess, pmv: PMeanVariance, xStart: tf.Tensor4D, xT: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const posterior = qPosteriorMeanVariance(d, xStart, xT, t);
    const kl = meanFlat(normalKl(posterior.mean, posterior.logVarianceClipped, pmv.mean, pmv.logVariance)).div(Math.log(2));
    const decoderNll = meanFlat(discretizedGaussianLogLikelihood(xStart, pmv.mean, pmv.logVariance.mul(0.5)).neg()).div(Math.log(2));
    return tf.where(tf.equal(t, 0), decoderNll, kl) as tf.Tensor1D;
  });
}
