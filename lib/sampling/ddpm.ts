/** Ancestral sampling (DDPM, Ho et al. 2020, Algorithm 2), with ADM Algorithm 1 guidance via condFn. */
import type * as tf from "@tensorflow/tfjs";
import type { DiffusionModel, GaussianDiffusion } from "../diffusion/index";
import type { SampleShape, SamplerOptions } from "./types";
import { drive } from "./drive";

/** Sample with one p(x_{t-1} | x_t) draw per timestep of `diffusion` (guided-diffusion's p_sample_loop). */
export function sampleDdpm(diffusion: GaussianDiffusion, model: DiffusionModel, shape: SampleShape, opts: SamplerOptions = {}): tf.Tensor4D {
  return drive(diffusion.pSampleLoopProgressive(model, shape, opts), diffusion.numTimesteps, opts);
}
