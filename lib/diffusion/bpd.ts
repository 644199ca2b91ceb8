/**
 * The whole variational bound in bits per dimension (guided-diffusion's _prior_bpd and
 * calc_bpd_loop): L_T + sum_t L_t, DDPM eq. 5, with one x_t drawn per timestep.
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionProcess } from "./process";
import type { DiffusionModel, ModelKwargs } from "./types";
import { predictEpsFromXstart, qMeanVariance, qSample } from "./forward";
import { meanFlat, normalKl } from "./losses";
import { pMeanVariance } from "./p-mean-variance";
import { makeRng, randn } from "../rng";
import { vbTermsBpd } from "./vb-terms";

/** Prior term L_T = KL(q(x_T | x_0) || N(0, I)) per batch item, in bits/dim. */
export function priorBpd(d: DiffusionProcess, xStart: tf.Tensor4D): tf.Tensor1D {
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
export function calcBpdLoop(d: DiffusionProcess, model: DiffusionModel, xStart: tf.Tensor4D, opts: CalcBpdOptions = {}): BpdTerms {
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
      const out = pMeanVariance(d, model, xT, t, { clipDenoised: opts.clipDenoised ?? true, modelKwargs: opts.modelKwargs });
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
