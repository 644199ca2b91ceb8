/**
 * The reverse process: how the model is called (guided-diffusion's _WrappedModel), p(x_{t-1} | x_t)
 * from the model's output for every mean and variance type (p_mean_variance), classifier guidance of
 * one step (ADM's Algorithms 1 and 2: condition_mean, condition_score), and the steps themselves:
 * ancestral DDPM (p_sample), DDIM (ddim_sample) and DDIM inversion (ddim_reverse_sample).
 *
 * Everything here is a function of tensors already computed; the samplers in lib/sampling call the
 * model (possibly asynchronously) and pass its output in.
 */
import * as tf from "@tensorflow/tfjs";
import { checkShape, checkTimesteps, coef, type DenoisedFn, type DiffusionModel, type GaussianDiffusion, type ModelKwargs } from "./gaussian-diffusion";
import { predictEpsFromXstart, predictXstartFromEps, predictXstartFromXprev, qPosteriorMeanVariance } from "./forward";

/** The timesteps the model sees for spaced indices t: timestepMap[t], rescaled to [0, 1000) if asked. */
export function modelTimesteps(d: GaussianDiffusion, t: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const original = tf.gather(tf.tensor1d(d.timestepMap, "int32"), t) as tf.Tensor1D;
    return d.rescaleTimesteps ? (original.toFloat().mul(1000 / d.originalNumSteps) as tf.Tensor1D) : original;
  });
}

/** Check a model output against x and the diffusion's variance type: [N, H, W, C], or 2C when learned. */
export function checkModelOutput(d: GaussianDiffusion, x: tf.Tensor4D, out: tf.Tensor): void {
  const [n, h, w, c] = x.shape;
  const learned = d.modelVarType === "learned" || d.modelVarType === "learned_range";
  const want = [n, h, w, learned ? 2 * c : c];
  if (!tf.util.arraysEqual(out.shape, want)) {
    throw new Error(
      `model output shape [${out.shape.join(", ")}] should be [${want.join(", ")}]` +
        (learned
          ? ` (modelVarType ${d.modelVarType} needs 2C channels: eps then v; set learnSigma to match the model)`
          : " (set learnSigma: true if the model outputs 2C channels)"),
    );
  }
}

/** model.forward(x, timestepMap[t], y) for a model that answers at once (training, the bound). */
export function callModel(d: GaussianDiffusion, model: DiffusionModel, x: tf.Tensor4D, t: tf.Tensor1D, modelKwargs: ModelKwargs = {}): tf.Tensor4D {
  checkTimesteps(d, t, x);
  return tf.tidy(() => {
    const out = model.forward(x, modelTimesteps(d, t), modelKwargs.y);
    checkModelOutput(d, x, out);
    return out;
  });
}

/** Options of {@link pMeanVariance}. */
export interface PMeanVarianceOptions {
  /** clamp the x_0 prediction to [-1, 1] before forming the mean (default true) */
  clipDenoised?: boolean;
  /** applied to the x_0 prediction before clipping */
  denoisedFn?: DenoisedFn;
}

/** p(x_{t-1} | x_t) = N(mean, variance) and the x_0 prediction it came from, all shaped like x. */
export type PMeanVariance = {
  mean: tf.Tensor4D;
  variance: tf.Tensor4D;
  logVariance: tf.Tensor4D;
  predXstart: tf.Tensor4D;
};

/** Variance and log-variance of p for each variance type; `v` is the model's second half of channels. */
function modelVariance(d: GaussianDiffusion, v: tf.Tensor4D | undefined, t: tf.Tensor1D, shape: number[]): { variance: tf.Tensor4D; logVariance: tf.Tensor4D } {
  switch (d.modelVarType) {
    case "learned":
      return { variance: tf.exp(v as tf.Tensor4D), logVariance: v as tf.Tensor4D };
    case "learned_range": {
      // Improved DDPM eq. 15: log sigma^2 = v' log beta_t + (1 - v') log beta~_t, v' = (v + 1) / 2
      const frac = (v as tf.Tensor4D).add(1).div(2);
      const logVariance = frac.mul(coef(d, "logBetas", t)).add(
        tf
          .scalar(1)
          .sub(frac)
          .mul(coef(d, "posteriorLogVarianceClipped", t)),
      ) as tf.Tensor4D;
      return { variance: tf.exp(logVariance), logVariance };
    }
    case "fixed_large":
      return { variance: coef(d, "fixedLargeVariance", t, shape), logVariance: coef(d, "fixedLargeLogVariance", t, shape) };
    case "fixed_small":
      return { variance: coef(d, "posteriorVariance", t, shape), logVariance: coef(d, "posteriorLogVarianceClipped", t, shape) };
  }
}

/**
 * p_mean_variance from the model output at (x, t) (a [N, H, W, C] or, for learned variances,
 * [N, H, W, 2C] tensor): split off v, form the variance, predict x_0 and the posterior mean.
 */
export function pMeanVariance(d: GaussianDiffusion, modelOutput: tf.Tensor4D, x: tf.Tensor4D, t: tf.Tensor1D, opts: PMeanVarianceOptions = {}): PMeanVariance {
  checkTimesteps(d, t, x);
  checkModelOutput(d, x, modelOutput);
  const clipDenoised = opts.clipDenoised ?? true;
  return tf.tidy(() => {
    const learned = d.modelVarType === "learned" || d.modelVarType === "learned_range";
    const [out, v] = learned ? (tf.split(modelOutput, 2, 3) as [tf.Tensor4D, tf.Tensor4D]) : [modelOutput, undefined];
    const { variance, logVariance } = modelVariance(d, v, t, x.shape);
    const processXstart = (x0: tf.Tensor4D): tf.Tensor4D => {
      const denoised = opts.denoisedFn ? opts.denoisedFn(x0) : x0;
      return clipDenoised ? (tf.clipByValue(denoised, -1, 1) as tf.Tensor4D) : denoised;
    };
    if (d.modelMeanType === "previous_x") {
      return { mean: out, variance, logVariance, predXstart: processXstart(predictXstartFromXprev(d, x, t, out)) };
    }
    const predXstart = processXstart(d.modelMeanType === "start_x" ? out : predictXstartFromEps(d, x, t, out));
    return { mean: qPosteriorMeanVariance(d, predXstart, x, t).mean, variance, logVariance, predXstart };
  });
}

/**
 * Algorithm 1 of ADM: the guided mean mu + Sigma g, where g = s grad_x log p(y | x_t) is the
 * guidance gradient (Sohl-Dickstein et al. 2015); the variance is unchanged.
 */
export function conditionMean(pmv: PMeanVariance, gradient: tf.Tensor4D): PMeanVariance {
  return { ...pmv, mean: tf.tidy(() => pmv.mean.add(pmv.variance.mul(gradient)) as tf.Tensor4D) };
}

/**
 * Algorithm 2 of ADM: eps' = eps - sqrt(1 - alphaBar_t) g with g = s grad_x log p(y | x_t) (Song et
 * al. 2020); x_0 and the posterior mean are recomputed from eps' without clipping again.
 */
export function conditionScore(d: GaussianDiffusion, pmv: PMeanVariance, x: tf.Tensor4D, t: tf.Tensor1D, gradient: tf.Tensor4D): PMeanVariance {
  return tf.tidy(() => {
    const eps = predictEpsFromXstart(d, x, t, pmv.predXstart).sub(coef(d, "sqrtOneMinusAlphasCumprod", t).mul(gradient)) as tf.Tensor4D;
    const predXstart = predictXstartFromEps(d, x, t, eps);
    return { mean: qPosteriorMeanVariance(d, predXstart, x, t).mean, variance: pmv.variance.clone(), logVariance: pmv.logVariance.clone(), predXstart };
  });
}

/** 1 where t != 0, else 0, shaped [N, 1, 1, 1]: no noise is added at the last step. */
function nonzeroMask(t: tf.Tensor1D): tf.Tensor4D {
  return tf.notEqual(t, 0).toFloat().reshape([-1, 1, 1, 1]) as tf.Tensor4D;
}

/** x_{t-1} = mu + sigma z (DDPM Algorithm 2 line 4), z the standard normal `noise` (unused at t = 0). */
export function pSample(pmv: PMeanVariance, t: tf.Tensor1D, noise: tf.Tensor4D): tf.Tensor4D {
  checkShape(noise, "noise", pmv.mean.shape, "x");
  return tf.tidy(
    () =>
      pmv.mean.add(
        nonzeroMask(t)
          .mul(tf.exp(pmv.logVariance.mul(0.5)))
          .mul(noise),
      ) as tf.Tensor4D,
  );
}

/**
 * DDIM (Song et al. 2021) eq. 12: x_{t-1} = sqrt(alphaBar_{t-1}) x0 + sqrt(1 - alphaBar_{t-1} -
 * sigma^2) eps + sigma z, with sigma = eta sqrt((1 - alphaBar_{t-1}) / (1 - alphaBar_t))
 * sqrt(1 - alphaBar_t / alphaBar_{t-1}) (eq. 16). eps is re-derived from x0, so any mean type works.
 */
export function ddimSample(d: GaussianDiffusion, pmv: PMeanVariance, x: tf.Tensor4D, t: tf.Tensor1D, opts: { eta: number; noise: tf.Tensor4D }): tf.Tensor4D {
  checkShape(opts.noise, "noise", x.shape, "x");
  return tf.tidy(() => {
    const eps = predictEpsFromXstart(d, x, t, pmv.predXstart);
    const alphaBar = coef(d, "alphasCumprod", t);
    const alphaBarPrev = coef(d, "alphasCumprodPrev", t);
    const one = tf.scalar(1);
    const sigma = tf
      .sqrt(one.sub(alphaBarPrev).div(one.sub(alphaBar)))
      .mul(opts.eta)
      .mul(tf.sqrt(one.sub(alphaBar.div(alphaBarPrev))));
    const meanPred = pmv.predXstart.mul(tf.sqrt(alphaBarPrev)).add(tf.sqrt(one.sub(alphaBarPrev).sub(tf.square(sigma))).mul(eps));
    return meanPred.add(nonzeroMask(t).mul(sigma).mul(opts.noise)) as tf.Tensor4D;
  });
}

/** DDIM eq. 12 run forwards with eta = 0: x_{t+1} = sqrt(alphaBar_{t+1}) x0 + sqrt(1 - alphaBar_{t+1}) eps. */
export function ddimReverseSample(d: GaussianDiffusion, pmv: PMeanVariance, x: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const eps = predictEpsFromXstart(d, x, t, pmv.predXstart);
    const alphaBarNext = coef(d, "alphasCumprodNext", t);
    return pmv.predXstart.mul(tf.sqrt(alphaBarNext)).add(tf.sqrt(tf.scalar(1).sub(alphaBarNext)).mul(eps)) as tf.Tensor4D;
  });
}
