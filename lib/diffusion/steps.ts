/**
 * One reverse step: ancestral DDPM (guided-diffusion's p_sample), DDIM (eq. 12 of Song et al.
 * 2021, ddim_sample) and the deterministic DDIM inversion x_t -> x_{t+1} (ddim_reverse_sample).
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionProcess } from "./process";
import type { CondFn, DiffusionModel } from "./types";
import { extractIntoTensor as ex } from "./extract";
import { randn, type Rng } from "../rng";
import { pMeanVariance, type PMeanVarianceOptions } from "./p-mean-variance";
import { conditionMean, conditionScore } from "./guidance";
import { predictEpsFromXstart } from "./forward";

/** Options of one sampling step. */
export interface StepOptions extends PMeanVarianceOptions {
  /** classifier guidance gradient (Algorithm 1 in pSample, Algorithm 2 in ddimSample) */
  condFn?: CondFn;
  /** the standard normal noise of this step; drawn (from `rng` when given) when absent */
  noise?: tf.Tensor4D;
  /** random source for the noise */
  rng?: Rng;
}

/** A step's result: the new sample and the x_0 prediction made on the way. */
export type StepOutput = {
  sample: tf.Tensor4D;
  predXstart: tf.Tensor4D;
};

function stepNoise(x: tf.Tensor4D, opts: StepOptions): tf.Tensor4D {
  if (opts.noise && !tf.util.arraysEqual(opts.noise.shape, x.shape)) {
    throw new Error(`noise shape [${opts.noise.shape.join(", ")}] must equal x shape [${x.shape.join(", ")}]`);
  }
  return opts.noise ?? (randn(x.shape, opts.rng) as tf.Tensor4D);
}

/** 1 where t != 0, else 0, shaped [N, 1, 1, 1]: no noise is added at the last step. */
function nonzeroMask(t: tf.Tensor1D): tf.Tensor4D {
  return tf.notEqual(t, 0).toFloat().reshape([-1, 1, 1, 1]) as tf.Tensor4D;
}

/** x_{t-1} = mu + sigma z (DDPM Algorithm 2 line 4), mu shifted by Algorithm 1 when condFn is set. */
export function pSample(d: DiffusionProcess, model: DiffusionModel, x: tf.Tensor4D, t: tf.Tensor1D, opts: StepOptions = {}): StepOutput {
  return tf.tidy(() => {
    const out = pMeanVariance(d, model, x, t, opts);
    const noise = stepNoise(x, opts);
    const mean = opts.condFn ? conditionMean(d, opts.condFn, out, x, t, opts.modelKwargs) : out.mean;
    const sample = mean.add(nonzeroMask(t).mul(tf.exp(out.logVariance.mul(0.5))).mul(noise)) as tf.Tensor4D;
    return { sample, predXstart: out.predXstart };
  });
}

/**
 * DDIM eq. 12: x_{t-1} = sqrt(alphaBar_{t-1}) x0 + sqrt(1 - alphaBar_{t-1} - sigma^2) eps + sigma z,
 * sigma = eta sqrt((1 - alphaBar_{t-1}) / (1 - alphaBar_t)) sqrt(1 - alphaBar_t / alphaBar_{t-1})
 * (eq. 16). eps is re-derived from x0 so any mean type works; condFn applies Algorithm 2.
 */
export function ddimSample(d: DiffusionProcess, model: DiffusionModel, x: tf.Tensor4D, t: tf.Tensor1D, opts: StepOptions & { eta?: number } = {}): StepOutput {
  const eta = opts.eta ?? 0;
  return tf.tidy(() => {
    let out = pMeanVariance(d, model, x, t, opts);
    if (opts.condFn) out = conditionScore(d, opts.condFn, out, x, t, opts.modelKwargs);
    const eps = predictEpsFromXstart(d, x, t, out.predXstart);
    const alphaBar = ex(d.alphasCumprod, t);
    const alphaBarPrev = ex(d.alphasCumprodPrev, t);
    const one = tf.scalar(1);
    const sigma = tf.sqrt(one.sub(alphaBarPrev).div(one.sub(alphaBar))).mul(eta).mul(tf.sqrt(one.sub(alphaBar.div(alphaBarPrev))));
    const noise = stepNoise(x, opts);
    const meanPred = out.predXstart.mul(tf.sqrt(alphaBarPrev)).add(tf.sqrt(one.sub(alphaBarPrev).sub(tf.square(sigma))).mul(eps));
    const sample = meanPred.add(nonzeroMask(t).mul(sigma).mul(noise)) as tf.Tensor4D;
    return { sample, predXstart: out.predXstart };
  });
}

/** DDIM eq. 12 run forwards with eta = 0: x_{t+1} = sqrt(alphaBar_{t+1}) x0 + sqrt(1 - alphaBar_{t+1}) eps. */
export function ddimReverseSample(d: DiffusionProcess, model: DiffusionModel, x: tf.Tensor4D, t: tf.Tensor1D, opts: PMeanVarianceOptions = {}): StepOutput {
  return tf.tidy(() => {
    const out = pMeanVariance(d, model, x, t, opts);
    const eps = predictEpsFromXstart(d, x, t, out.predXstart);
    const alphaBarNext = ex(d.alphasCumprodNext, t);
    const sample = out.predXstart.mul(tf.sqrt(alphaBarNext)).add(tf.sqrt(tf.scalar(1).sub(alphaBarNext)).mul(eps)) as tf.Tensor4D;
    return { sample, predXstart: out.predXstart };
  });
}
