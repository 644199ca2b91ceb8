/**
 * Classifier guidance applied to one reverse step (ADM, Dhariwal & Nichol 2021): shift the mean
 * (Algorithm 1, for DDPM) or the score (Algorithm 2, for DDIM). guided-diffusion's condition_mean
 * and condition_score; the guidance function sees the original timesteps, as the model does.
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionProcess } from "./process";
import type { CondFn, ModelKwargs } from "./types";
import type { PMeanVariance } from "./p-mean-variance";
import { extractIntoTensor } from "./extract";
import { callCondFn } from "./model-call";
import { predictEpsFromXstart, predictXstartFromEps, qPosteriorMeanVariance } from "./forward";

/** Algorithm 1: mu' = mu + Sigma * grad_x log p(y | x_t) (Sohl-Dickstein et al. 2015). */
export function conditionMean(d: DiffusionProcess, condFn: CondFn, pmv: PMeanVariance, x: tf.Tensor4D, t: tf.Tensor1D, modelKwargs: ModelKwargs = {}): tf.Tensor4D {
  return tf.tidy(() => pmv.mean.add(pmv.variance.mul(callCondFn(d, condFn, x, t, modelKwargs))) as tf.Tensor4D);
}

/**
 * Algorithm 2: eps' = eps - sqrt(1 - alphaBar_t) grad_x log p(y | x_t) (Song et al. 2020); x_0 and
 * the posterior mean are recomputed from eps' without clipping again. The variance is unchanged.
 */
export function conditionScore(d: DiffusionProcess, condFn: CondFn, pmv: PMeanVariance, x: tf.Tensor4D, t: tf.Tensor1D, modelKwargs: ModelKwargs = {}): PMeanVariance {
  return tf.tidy(() => {
    const alphaBar = extractIntoTensor(d.alphasCumprod, t);
    const eps = predictEpsFromXstart(d, x, t, pmv.predXstart).sub(tf.sqrt(tf.scalar(1).sub(alphaBar)).mul(callCondFn(d, condFn, x, t, modelKwargs))) as tf.Tensor4D;
    const predXstart = predictXstartFromEps(d, x, t, eps);
    const mean = qPosteriorMeanVariance(d, predXstart, x, t).mean;
    return { mean, variance: pmv.variance.clone(), logVariance: pmv.logVariance.clone(), predXstart };
  });
}
