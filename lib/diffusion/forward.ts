/**
 * The forward process q and its posterior, and the algebra that moves between x_t, x_0, eps and
 * x_{t-1} (guided-diffusion's q_mean_variance, q_sample, q_posterior_mean_variance, _predict_*).
 */
import * as tf from "@tensorflow/tfjs";
import { checkShape, checkTimesteps, coef, type GaussianDiffusion } from "./gaussian-diffusion";
import { randn, type Rng } from "../rng";

/** Mean, variance and log-variance of a Gaussian, each shaped like the images. */
export type GaussianMoments = {
  mean: tf.Tensor4D;
  variance: tf.Tensor4D;
  logVariance: tf.Tensor4D;
};

/** q(x_t | x_0) = N(sqrt(alphaBar_t) x_0, (1 - alphaBar_t) I) (DDPM eq. 4). */
export function qMeanVariance(d: GaussianDiffusion, xStart: tf.Tensor4D, t: tf.Tensor1D): GaussianMoments {
  checkTimesteps(d, t, xStart);
  return tf.tidy(() => ({
    mean: coef(d, "sqrtAlphasCumprod", t).mul(xStart) as tf.Tensor4D,
    variance: coef(d, "oneMinusAlphasCumprod", t, xStart.shape),
    logVariance: coef(d, "logOneMinusAlphasCumprod", t, xStart.shape),
  }));
}

/**
 * Sample x_t ~ q(x_t | x_0): sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps (DDPM eq. 4).
 * `noise` is eps; without it, eps is drawn (from `rng` when given).
 */
export function qSample(d: GaussianDiffusion, xStart: tf.Tensor4D, t: tf.Tensor1D, noise?: tf.Tensor4D, rng?: Rng): tf.Tensor4D {
  checkTimesteps(d, t, xStart);
  if (noise) checkShape(noise, "noise", xStart.shape, "x0");
  return tf.tidy(() => {
    const eps = noise ?? randn(xStart.shape, rng);
    return coef(d, "sqrtAlphasCumprod", t)
      .mul(xStart)
      .add(coef(d, "sqrtOneMinusAlphasCumprod", t).mul(eps)) as tf.Tensor4D;
  });
}

/** Posterior q(x_{t-1} | x_t, x_0) (DDPM eqs. 6-7). */
export type PosteriorMoments = {
  mean: tf.Tensor4D;
  variance: tf.Tensor4D;
  logVarianceClipped: tf.Tensor4D;
};

/** mu~_t = coef1_t x_0 + coef2_t x_t, beta~_t, and log beta~_t clipped at t = 0 (DDPM eq. 7). */
export function qPosteriorMeanVariance(d: GaussianDiffusion, xStart: tf.Tensor4D, xT: tf.Tensor4D, t: tf.Tensor1D): PosteriorMoments {
  checkTimesteps(d, t, xT);
  checkShape(xStart, "x0", xT.shape, "x_t");
  return tf.tidy(() => ({
    mean: coef(d, "posteriorMeanCoef1", t)
      .mul(xStart)
      .add(coef(d, "posteriorMeanCoef2", t).mul(xT)) as tf.Tensor4D,
    variance: coef(d, "posteriorVariance", t, xT.shape),
    logVarianceClipped: coef(d, "posteriorLogVarianceClipped", t, xT.shape),
  }));
}

/** x_0 = sqrt(1/alphaBar_t) x_t - sqrt(1/alphaBar_t - 1) eps (DDPM eq. 4 solved for x_0). */
export function predictXstartFromEps(d: GaussianDiffusion, xT: tf.Tensor4D, t: tf.Tensor1D, eps: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(
    () =>
      coef(d, "sqrtRecipAlphasCumprod", t)
        .mul(xT)
        .sub(coef(d, "sqrtRecipm1AlphasCumprod", t).mul(eps)) as tf.Tensor4D,
  );
}

/** x_0 = (x_{t-1} - coef2_t x_t) / coef1_t (DDPM eq. 7 solved for x_0). */
export function predictXstartFromXprev(d: GaussianDiffusion, xT: tf.Tensor4D, t: tf.Tensor1D, xPrev: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(
    () =>
      coef(d, "recipPosteriorMeanCoef1", t)
        .mul(xPrev)
        .sub(coef(d, "posteriorMeanCoef2OverCoef1", t).mul(xT)) as tf.Tensor4D,
  );
}

/** eps = (sqrt(1/alphaBar_t) x_t - x_0) / sqrt(1/alphaBar_t - 1) (inverse of predictXstartFromEps). */
export function predictEpsFromXstart(d: GaussianDiffusion, xT: tf.Tensor4D, t: tf.Tensor1D, predXstart: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(
    () =>
      coef(d, "sqrtRecipAlphasCumprod", t)
        .mul(xT)
        .sub(predXstart)
        .div(coef(d, "sqrtRecipm1AlphasCumprod", t)) as tf.Tensor4D,
  );
}
