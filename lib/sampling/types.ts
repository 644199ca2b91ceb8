/**
 * The one signature every sampler shares (in the spirit of k-diffusion): a diffusion, a model, the
 * sample shape and options, returning x_0; a per-step callback sees each step for plotting.
 */
import type * as tf from "@tensorflow/tfjs";
import type { CondFn, DenoisedFn, DiffusionModel, GaussianDiffusion, ModelKwargs } from "../diffusion/index";

/** NHWC sample shape. */
export type SampleShape = [number, number, number, number];

/**
 * What a sampler reports after each step: the new sample x, the step number i (0-based, in the
 * order taken) of `total`, the timestep index t of the diffusion that was denoised, and the x_0
 * prediction made at t. The tensors are disposed after the callback returns: copy what you keep.
 */
export interface SamplerStep {
  x: tf.Tensor4D;
  i: number;
  total: number;
  t: number;
  predXstart: tf.Tensor4D;
}

/** Options every sampler accepts. */
export interface SamplerOptions {
  /** x_T to start from (the caller keeps ownership); drawn when absent */
  noise?: tf.Tensor4D;
  /** clamp x_0 predictions to [-1, 1] (default true) */
  clipDenoised?: boolean;
  /** applied to x_0 predictions before clipping */
  denoisedFn?: DenoisedFn;
  /** class labels for conditional models and for classifier guidance */
  modelKwargs?: ModelKwargs;
  /** classifier guidance gradient, e.g. from classifierCondFn */
  condFn?: CondFn;
  /** called after each step with the number of steps done and the total */
  progress?: (done: number, total: number) => void;
  /** called after each step with the step's tensors */
  callback?: (step: SamplerStep) => void;
  /** seed for x_T and all step noise */
  seed?: number;
}

/** A sampler: draws samples of `shape` from `model` on `diffusion`; returns x_0 (caller disposes). */
export type Sampler<O extends SamplerOptions = SamplerOptions> = (diffusion: GaussianDiffusion, model: DiffusionModel, shape: SampleShape, opts?: O) => tf.Tensor4D;
