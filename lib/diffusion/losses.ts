/**
 * Losses and the bound. The likelihood terms of the variational bound (guided-diffusion's losses.py,
 * from Ho et al.): the KL between Gaussians and the discretised Gaussian decoder likelihood of 8-bit
 * images in [-1, 1]; one bound term L_t in bits per dimension (_vb_terms_bpd); the training
 * objectives (training_losses: the eps-MSE of DDPM, plus the bound for the variance with the mean
 * frozen, the hybrid L_simple + L_vlb of Improved DDPM eq. 16, or the bound alone); and the whole
 * bound L_T + sum_t L_t (DDPM eq. 5: _prior_bpd, calc_bpd_loop).
 */
import * as tf from "@tensorflow/tfjs";
import { checkTimesteps, type DiffusionModel, type GaussianDiffusion, type ModelKwargs } from "./gaussian-diffusion";
import { predictEpsFromXstart, qMeanVariance, qPosteriorMeanVariance, qSample } from "./forward";
import { callModel, pMeanVariance, type PMeanVariance } from "./reverse";
import { makeRng, randn, type Rng } from "../rng";

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
  return tf.tidy(
    () =>
      tf.mean(
        x,
        Array.from({ length: x.rank - 1 }, (_, i) => i + 1),
      ) as tf.Tensor1D,
  );
}

/** L_t per batch item, in bits/dim, for the reverse step `pmv` taken from x_t (DDPM eq. 5). */
export function vbTermsBpd(d: GaussianDiffusion, pmv: PMeanVariance, xStart: tf.Tensor4D, xT: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    // KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) for t > 0, the decoder NLL -log p(x_0 | x_1) at t = 0
    const posterior = qPosteriorMeanVariance(d, xStart, xT, t);
    const kl = meanFlat(normalKl(posterior.mean, posterior.logVarianceClipped, pmv.mean, pmv.logVariance)).div(Math.log(2));
    const decoderNll = meanFlat(discretizedGaussianLogLikelihood(xStart, pmv.mean, pmv.logVariance.mul(0.5)).neg()).div(Math.log(2));
    return tf.where(tf.equal(t, 0), decoderNll, kl) as tf.Tensor1D;
  });
}

const detach = tf.customGrad((x) => ({ value: (x as tf.Tensor).clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) }));

/** x with gradients blocked (torch's `.detach()` inside a differentiable expression). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return detach(x) as T;
}

/** Options of {@link trainingLosses}. */
export interface TrainingLossOptions {
  /** the eps used to make x_t; drawn (from `rng` when given) when absent */
  noise?: tf.Tensor4D;
  modelKwargs?: ModelKwargs;
  rng?: Rng;
}

/** Per-example losses [N]: `loss` always; `mse` for MSE types; `vb` when the variance is learned. */
export type TrainingLosses = {
  loss: tf.Tensor1D;
  mse?: tf.Tensor1D;
  vb?: tf.Tensor1D;
};

/** Losses for x_0 diffused to timesteps t (one int32 index per batch item); differentiable w.r.t. the model. */
export function trainingLosses(
  d: GaussianDiffusion,
  model: DiffusionModel,
  xStart: tf.Tensor4D,
  t: tf.Tensor1D,
  opts: TrainingLossOptions = {},
): TrainingLosses {
  checkTimesteps(d, t, xStart);
  return tf.tidy(() => {
    const noise = opts.noise ?? (randn(xStart.shape, opts.rng) as tf.Tensor4D);
    const xT = qSample(d, xStart, t, noise);
    const modelOutput = callModel(d, model, xT, t, opts.modelKwargs);
    if (d.lossType === "kl" || d.lossType === "rescaled_kl") {
      const vb = vbTermsBpd(d, pMeanVariance(d, modelOutput, xT, t, { clipDenoised: false }), xStart, xT, t);
      // RESCALED_KL: T L_t estimates the whole bound from one uniformly drawn t
      return { loss: d.lossType === "rescaled_kl" ? (vb.mul(d.numTimesteps) as tf.Tensor1D) : vb };
    }
    let mean = modelOutput;
    let vb: tf.Tensor1D | undefined;
    if (d.modelVarType === "learned" || d.modelVarType === "learned_range") {
      const [meanOut, varValues] = tf.split(modelOutput, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
      mean = meanOut;
      // the bound trains only the variance: the mean enters it with its gradient stopped
      const frozen = tf.concat([stopGradient(meanOut), varValues], 3) as tf.Tensor4D;
      vb = vbTermsBpd(d, pMeanVariance(d, frozen, xT, t, { clipDenoised: false }), xStart, xT, t);
      // RESCALED_MSE: divide by 1000 as in the original implementation, so vb does not swamp the MSE
      if (d.lossType === "rescaled_mse") vb = vb.mul(d.numTimesteps / 1000) as tf.Tensor1D;
    }
    const target = d.modelMeanType === "previous_x" ? qPosteriorMeanVariance(d, xStart, xT, t).mean : d.modelMeanType === "start_x" ? xStart : noise;
    const mse = meanFlat(tf.squaredDifference(target, mean));
    return vb ? { loss: mse.add(vb) as tf.Tensor1D, mse, vb } : { loss: mse, mse };
  });
}

/** Prior term L_T = KL(q(x_T | x_0) || N(0, I)) per batch item, in bits/dim. */
export function priorBpd(d: GaussianDiffusion, xStart: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const t = tf.fill([xStart.shape[0]], d.numTimesteps - 1, "int32") as tf.Tensor1D;
    const q = qMeanVariance(d, xStart, t);
    return meanFlat(normalKl(q.mean, q.logVariance, 0, 0)).div(Math.log(2)) as tf.Tensor1D;
  });
}

/** Options of {@link calcBpdLoop}. */
export interface CalcBpdOptions {
  /** clip the x_0 prediction to [-1, 1] (default true) */
  clipDenoised?: boolean;
  modelKwargs?: ModelKwargs;
  /** eps per evaluated timestep, in loop order t = T-1..0 (numTimesteps tensors shaped like x0) */
  noise?: tf.Tensor4D[];
  /** seed for the noise when `noise` is absent */
  seed?: number;
}

/**
 * Bound terms per batch item. Columns of the [N, T] tensors run in loop order, column j holding
 * timestep T-1-j, as in guided-diffusion.
 */
export type BpdTerms = {
  totalBpd: tf.Tensor1D;
  priorBpd: tf.Tensor1D;
  vb: tf.Tensor2D;
  xstartMse: tf.Tensor2D;
  mse: tf.Tensor2D;
};

/** Evaluate every term of the bound, plus the x_0 and eps errors at each timestep. */
export function calcBpdLoop(d: GaussianDiffusion, model: DiffusionModel, xStart: tf.Tensor4D, opts: CalcBpdOptions = {}): BpdTerms {
  if (opts.noise && opts.noise.length !== d.numTimesteps) {
    throw new Error(`calcBpdLoop noise must hold one tensor per timestep (${d.numTimesteps}); got ${opts.noise.length}`);
  }
  const rng = opts.seed === undefined ? undefined : makeRng(opts.seed);
  const n = xStart.shape[0];
  const vb: tf.Tensor1D[] = [];
  const xstartMse: tf.Tensor1D[] = [];
  const mse: tf.Tensor1D[] = [];
  for (let j = 0; j < d.numTimesteps; j++) {
    const [v, xm, m] = tf.tidy(() => {
      const t = tf.fill([n], d.numTimesteps - 1 - j, "int32") as tf.Tensor1D;
      const noise = opts.noise ? opts.noise[j] : (randn(xStart.shape, rng) as tf.Tensor4D);
      const xT = qSample(d, xStart, t, noise);
      const out = pMeanVariance(d, callModel(d, model, xT, t, opts.modelKwargs), xT, t, { clipDenoised: opts.clipDenoised ?? true });
      const eps = predictEpsFromXstart(d, xT, t, out.predXstart);
      return [vbTermsBpd(d, out, xStart, xT, t), meanFlat(tf.squaredDifference(out.predXstart, xStart)), meanFlat(tf.squaredDifference(eps, noise))];
    });
    vb.push(v);
    xstartMse.push(xm);
    mse.push(m);
  }
  const terms = tf.tidy(() => {
    const prior = priorBpd(d, xStart);
    const vbAll = tf.stack(vb, 1) as tf.Tensor2D;
    return {
      totalBpd: vbAll.sum(1).add(prior) as tf.Tensor1D,
      priorBpd: prior,
      vb: vbAll,
      xstartMse: tf.stack(xstartMse, 1) as tf.Tensor2D,
      mse: tf.stack(mse, 1) as tf.Tensor2D,
    };
  });
  tf.dispose([...vb, ...xstartMse, ...mse]);
  return terms;
}
