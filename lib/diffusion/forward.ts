/**
 * The forward process q and the algebra that moves between x_t, x_0, eps and x_{t-1}
 * (guided-diffusion's q_mean_variance, q_sample, q_posterior_mean_variance, _predict_*).
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionProcess } from "./process";
import { extractBroadcast, extractIntoTensor as ex } from "./extract";
import { randn, type Rng } from "../rng";

/** Mean, variance and log-variance of a Gaussian, each shaped like the images. */
export type GaussianMoments = {
  mean: tf.Tensor4D;
  variance: tf.Tensor4D;
  logVariance: tf.Tensor4D;
};

/** q(x_t | x_0) = N(sqrt(alphaBar_t) x_0, (1 - alphaBar_t) I) (DDPM eq. 4). */
export function qMeanVariance(d: DiffusionProcess, xStart: tf.Tensor4D, t: tf.Tensor1D): GaussianMoments {
  return tf.tidy(() => ({
    mean: ex(d.sqrtAlphasCumprod, t).mul(xStart) as tf.Tensor4D,
    variance: extractBroadcast(d.alphasCumprod.map((a) => 1 - a), t, xStart.shape),
    logVariance: extractBroadcast(d.logOneMinusAlphasCumprod, t, xStart.shape),
  }));
}

/**
 * Sample x_t ~ q(x_t | x_0): sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps (DDPM eq. 4).
 * `noise` is eps; without it, eps is drawn (from `rng` when given).
 */
export function qSample(d: DiffusionProcess, xStart: tf.Tensor4D, t: tf.Tensor1D, noise?: tf.Tensor4D, rng?: Rng): tf.Tensor4D {
  if (noise && !tf.util.arraysEqual(noise.shape, xStart.shape)) {
    throw new Error(`noise shape [${noise.shape.join(", ")}] must equal x0 shape [${xStart.shape.join(", ")}]`);
  }
  return tf.tidy(() => {
    const eps = noise ?? randn(xStart.shape, rng);
    return ex(d.sqrtAlphasCumprod, t).mul(xStart).add(ex(d.sqrtOneMinusAlphasCumprod, t).mul(eps)) as tf.Tensor4D;
  });
}

/** Posterior q(x_{t-1} | x_t, x_0) (DDPM eqs. 6-7). */
export type PosteriorMoments = {
  mean: tf.Tensor4D;
  variance: tf.Tensor4D;
  logVarianceClipped: tf.Tensor4D;
};

/** mu~_t = coef1_t x_0 + coef2_t x_t, beta~_t, and log beta~_t clipped at t = 0 (DDPM eq. 7). */
export function qPosteriorMeanVariance(d: DiffusionProcess, xStart: tf.Tensor4D, xT: tf.Tensor4D, t: tf.Tensor1D): PosteriorMoments {
  if (!tf.util.arraysEqual(xStart.shape, xT.shape)) {
    throw new Error(`x0 shape [${xStart.shape.join(", ")}] must equal x_t shape [${xT.shape.join(", ")}]`);
  }
  return tf.tidy(() => ({
    mean: ex(d.posteriorMeanCoef1, t).mul(xStart).add(ex(d.posteriorMeanCoef2, t).mul(xT)) as tf.Tensor4D,
    variance: extractBroadcast(d.posteriorVariance, t, xT.shape),
    logVarianceClipped: extractBroadcast(d.posteriorLogVarianceClipped, t, xT.shape),
  }));
}

/** x_0 = sqrt(1/alphaBar_t) x_t - sqrt(1/alphaBar_t - 1) eps (DDPM eq. 4 solved for x_0). */
export function predictXstartFromEps(d: DiffusionProcess, xT: tf.Tensor4D, t: tf.Tensor1D, eps: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => ex(d.sqrtRecipAlphasCumprod, t).mul(xT).sub(ex(d.sqrtRecipm1AlphasCumprod, t).mul(eps)) as tf.Tensor4D);
}

/** x_0 = (x_{t-1} - coef2_t x_t) / coef1_t (DDPM eq. 7 solved for x_0). */
export function predictXstartFromXprev(d: DiffusionProcess, xT: tf.Tensor4D, t: tf.Tensor1D, xPrev: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const recipCoef1 = d.posteriorMeanCoef1.map((c) => 1 / c);
    const coef2OverCoef1 = d.posteriorMeanCoef2.map((c, i) => c / d.posteriorMeanCoef1[i]);
    return ex(recipCoef1, t).mul(xPrev).sub(ex(coef2OverCoef1, t).mul(xT)) as tf.Tensor4D;
  });
}

/** eps = (sqrt(1/alphaBar_t) x_t - x_0) / sqrt(1/alphaBar_t - 1) (inverse of predictXstartFromEps). */
export function predictEpsFromXstart(d: DiffusionProcess, xT: tf.Tensor4D, t: tf.Tensor1D, predXstart: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => ex(d.sqrtRecipAlphasCumprod, t).mul(xT).sub(predXstart).div(ex(d.sqrtRecipm1AlphasCumprod, t)) as tf.Tensor4D);
}
