/**
 * The reverse step p(x_{t-1} | x_t) from the model's output, for every mean type (eps, x_0, x_{t-1})
 * and variance type (fixed small, fixed large, learned, learned range): guided-diffusion's
 * p_mean_variance.
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionProcess } from "./process";
import type { DenoisedFn, DiffusionModel, ModelKwargs } from "./types";
import { extractBroadcast } from "./extract";
import { callModel } from "./model-call";
import { predictXstartFromEps, predictXstartFromXprev, qPosteriorMeanVariance } from "./forward";

/** Options of {@link pMeanVariance}. */
export interface PMeanVarianceOptions {
  /** clamp the x_0 prediction to [-1, 1] before forming the mean (default true) */
  clipDenoised?: boolean;
  /** applied to the x_0 prediction before clipping */
  denoisedFn?: DenoisedFn;
  /** extra model inputs (class labels) */
  modelKwargs?: ModelKwargs;
}

/** p(x_{t-1} | x_t) = N(mean, variance) and the x_0 prediction it came from, all shaped like x. */
export type PMeanVariance = {
  mean: tf.Tensor4D;
  variance: tf.Tensor4D;
  logVariance: tf.Tensor4D;
  predXstart: tf.Tensor4D;
};

/** log-variance and variance of p for each variance type. */
function modelLogVariance(d: DiffusionProcess, varValues: tf.Tensor4D | undefined, t: tf.Tensor1D, shape: number[]): tf.Tensor4D {
  switch (d.modelVarType) {
    case "learned":
      return varValues as tf.Tensor4D;
    case "learned_range": {
      // Improved DDPM eq. 15: log sigma^2 = v' log beta_t + (1 - v') log beta~_t, v' = (v + 1) / 2
      const minLog = extractBroadcast(d.posteriorLogVarianceClipped, t, shape);
      const maxLog = extractBroadcast(d.betas.map(Math.log), t, shape);
      const frac = (varValues as tf.Tensor4D).add(1).div(2);
      return frac.mul(maxLog).add(tf.scalar(1).sub(frac).mul(minLog)) as tf.Tensor4D;
    }
    case "fixed_large": {
      // sigma^2 = beta_t, except beta~_1 at t = 0 for a better decoder likelihood
      const large = d.betas.map((b, i) => (i === 0 ? d.posteriorVariance[1] : b));
      return extractBroadcast(large.map(Math.log), t, shape);
    }
    case "fixed_small":
      return extractBroadcast(d.posteriorLogVarianceClipped, t, shape);
  }
}

/** Variance whose float32 values match guided-diffusion's (the table itself for fixed types). */
function modelVariance(d: DiffusionProcess, logVar: tf.Tensor4D, t: tf.Tensor1D, shape: number[]): tf.Tensor4D {
  if (d.modelVarType === "fixed_large") {
    return extractBroadcast(d.betas.map((b, i) => (i === 0 ? d.posteriorVariance[1] : b)), t, shape);
  }
  if (d.modelVarType === "fixed_small") return extractBroadcast(d.posteriorVariance, t, shape);
  return tf.exp(logVar) as tf.Tensor4D;
}

/**
 * p_mean_variance given the model output already computed (a [N, H, W, C] or, for learned
 * variances, [N, H, W, 2C] tensor): split off v, form the variance, predict x_0 and the mean.
 */
export function pMeanVarianceFromOutput(d: DiffusionProcess, modelOutput: tf.Tensor4D, x: tf.Tensor4D, t: tf.Tensor1D, opts: PMeanVarianceOptions = {}): PMeanVariance {
  const clipDenoised = opts.clipDenoised ?? true;
  return tf.tidy(() => {
    const shape = x.shape;
    let out = modelOutput;
    let varValues: tf.Tensor4D | undefined;
    if (d.modelVarType === "learned" || d.modelVarType === "learned_range") {
      [out, varValues] = tf.split(modelOutput, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    }
    const logVariance = modelLogVariance(d, varValues, t, shape);
    const variance = modelVariance(d, logVariance, t, shape);
    const processXstart = (x0: tf.Tensor4D): tf.Tensor4D => {
      const denoised = opts.denoisedFn ? opts.denoisedFn(x0) : x0;
      return clipDenoised ? (tf.clipByValue(denoised, -1, 1) as tf.Tensor4D) : denoised;
    };
    let predXstart: tf.Tensor4D;
    let mean: tf.Tensor4D;
    if (d.modelMeanType === "previous_x") {
      predXstart = processXstart(predictXstartFromXprev(d, x, t, out));
      mean = out;
    } else {
      predXstart = processXstart(d.modelMeanType === "start_x" ? out : predictXstartFromEps(d, x, t, out));
      mean = qPosteriorMeanVariance(d, predXstart, x, t).mean;
    }
    return { mean, variance, logVariance, predXstart };
  });
}

/** Apply the model at (x, t) and return p(x_{t-1} | x_t) and the x_0 prediction. */
export function pMeanVariance(d: DiffusionProcess, model: DiffusionModel, x: tf.Tensor4D, t: tf.Tensor1D, opts: PMeanVarianceOptions = {}): PMeanVariance {
  return tf.tidy(() => pMeanVarianceFromOutput(d, callModel(d, model, x, t, opts.modelKwargs), x, t, opts));
}
