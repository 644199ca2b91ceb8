/**
 * Training objectives (guided-diffusion's training_losses): the eps-MSE of DDPM, plus the variational
 * bound for the variance with the mean frozen (the hybrid L_simple + L_vlb of Improved DDPM,
 * eq. 16), or the bound alone. Differentiable w.r.t. the model's variables.
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionProcess } from "./process";
import type { DiffusionModel, ModelKwargs } from "./types";
import { checkTimesteps } from "./extract";
import { callModel } from "./model-call";
import { qPosteriorMeanVariance, qSample } from "./forward";
import { meanFlat } from "./losses";
import { pMeanVariance, pMeanVarianceFromOutput } from "./p-mean-variance";
import { vbTermsBpd } from "./vb-terms";
import { stopGradient } from "./stop-gradient";
import { randn, type Rng } from "../rng";

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

/** Losses for x_0 diffused to timesteps t (one int32 index per batch item). */
export function trainingLosses(d: DiffusionProcess, model: DiffusionModel, xStart: tf.Tensor4D, t: tf.Tensor1D, opts: TrainingLossOptions = {}): TrainingLosses {
  checkTimesteps(t, xStart, d.numTimesteps);
  return tf.tidy(() => {
    const noise = opts.noise ?? (randn(xStart.shape, opts.rng) as tf.Tensor4D);
    const xT = qSample(d, xStart, t, noise);
    if (d.lossType === "kl" || d.lossType === "rescaled_kl") {
      const vb = vbTermsBpd(d, pMeanVariance(d, model, xT, t, { clipDenoised: false, modelKwargs: opts.modelKwargs }), xStart, xT, t);
      // RESCALED_KL: T L_t estimates the whole bound from one uniformly drawn t
      return { loss: d.lossType === "rescaled_kl" ? (vb.mul(d.numTimesteps) as tf.Tensor1D) : vb };
    }
    const modelOutput = callModel(d, model, xT, t, opts.modelKwargs);
    let mean = modelOutput;
    let vb: tf.Tensor1D | undefined;
    if (d.modelVarType === "learned" || d.modelVarType === "learned_range") {
      const [meanOut, varValues] = tf.split(modelOutput, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
      mean = meanOut;
      // the bound trains only the variance: the mean enters it with its gradient stopped
      const frozen = tf.concat([stopGradient(meanOut), varValues], 3) as tf.Tensor4D;
      vb = vbTermsBpd(d, pMeanVarianceFromOutput(d, frozen, xT, t, { clipDenoised: false }), xStart, xT, t);
      // RESCALED_MSE: divide by 1000 as in the original implementation, so vb does not swamp the MSE
      if (d.lossType === "rescaled_mse") vb = vb.mul(d.numTimesteps / 1000) as tf.Tensor1D;
    }
    const target = d.modelMeanType === "previous_x" ? qPosteriorMeanVariance(d, xStart, xT, t).mean : d.modelMeanType === "start_x" ? xStart : noise;
    const mse = meanFlat(tf.squaredDifference(target, mean));
    return vb ? { loss: mse.add(vb) as tf.Tensor1D, mse, vb } : { loss: mse, mse };
  });
}
