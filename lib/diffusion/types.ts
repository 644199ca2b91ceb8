/**
 * The shapes every diffusion function agrees on: what a model, a noisy classifier and a guidance
 * function look like, and the names of guided-diffusion's mean, variance and loss types.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * A denoising network on NHWC images. `t` holds one timestep per batch item: the ORIGINAL
 * (un-respaced) timestep, int32, or float32 when `rescaleTimesteps` maps it onto [0, 1000).
 * With `learnSigma` the output has 2C channels: the mean prediction (eps) first, then the
 * variance interpolation v in [-1, 1].
 */
export interface DiffusionModel {
  forward(x: tf.Tensor4D, t: tf.Tensor1D, y?: tf.Tensor1D): tf.Tensor4D;
}

/** A classifier trained on noisy images x_t: returns logits [N, numClasses]. */
export interface NoisyClassifier {
  forward(x: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor2D;
}

/** Extra model inputs (guided-diffusion's `model_kwargs`): class labels for conditional models. */
export interface ModelKwargs {
  y?: tf.Tensor1D;
}

/**
 * Gradient of a log-probability w.r.t. x (guided-diffusion's `cond_fn`), shaped like x. It receives
 * the timesteps the model sees (original, possibly rescaled) and the model kwargs (labels).
 */
export type CondFn = (x: tf.Tensor4D, t: tf.Tensor1D, modelKwargs: ModelKwargs) => tf.Tensor4D;

/** Applied to every x_0 prediction before clipping (guided-diffusion's `denoised_fn`). */
export type DenoisedFn = (predXstart: tf.Tensor4D) => tf.Tensor4D;

/** What the model predicts: x_{t-1}, x_0, or the noise eps. */
export type ModelMeanType = "previous_x" | "start_x" | "epsilon";

/**
 * How the reverse variance is chosen: fixed to the posterior variance (small), fixed to beta
 * (large), learned log-variance, or learned interpolation between the two fixed ones (ADM).
 */
export type ModelVarType = "fixed_small" | "fixed_large" | "learned" | "learned_range";

/** Training objective: eps-MSE (+ vb when the variance is learned) or the variational bound. */
export type LossType = "mse" | "rescaled_mse" | "kl" | "rescaled_kl";
