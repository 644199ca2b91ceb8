/**
 * DDIM (Song et al. 2021, eq. 12) with ADM Algorithm 2 guidance via condFn, and its deterministic
 * inversion x_0 -> x_T.
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionModel, GaussianDiffusion } from "../diffusion/index";
import type { SampleShape, SamplerOptions } from "./types";
import { drive } from "./drive";

/** Options of {@link sampleDdim}. */
export interface DdimOptions extends SamplerOptions {
  /** 0 (default) is the deterministic ODE; 1 matches the DDPM posterior variance */
  eta?: number;
}

/** Sample with one DDIM step per timestep of `diffusion` (guided-diffusion's ddim_sample_loop). */
export function sampleDdim(diffusion: GaussianDiffusion, model: DiffusionModel, shape: SampleShape, opts: DdimOptions = {}): tf.Tensor4D {
  return drive(diffusion.ddimSampleLoopProgressive(model, shape, opts), diffusion.numTimesteps, opts);
}

/** Options of {@link encodeDdim}. */
export type EncodeDdimOptions = Pick<SamplerOptions, "clipDenoised" | "denoisedFn" | "modelKwargs" | "progress" | "callback">;

/**
 * Encode images into DDIM latents by running eq. 12 forwards with eta = 0, t = 0..T-1
 * (guided-diffusion's ddim_reverse_sample); `sampleDdim` with eta = 0 decodes them back.
 */
export function encodeDdim(diffusion: GaussianDiffusion, model: DiffusionModel, x0: tf.Tensor4D, opts: EncodeDdimOptions = {}): tf.Tensor4D {
  const n = x0.shape[0];
  function* forward() {
    let x = x0.clone();
    try {
      for (let t = 0; t < diffusion.numTimesteps; t++) {
        const xs = x;
        const out = tf.tidy(() => diffusion.ddimReverseSample(model, xs, tf.fill([n], t, "int32") as tf.Tensor1D, opts));
        x.dispose();
        x = out.sample;
        yield { sample: out.sample, predXstart: out.predXstart, t };
        out.predXstart.dispose();
      }
    } finally {
      x.dispose();
    }
  }
  return drive(forward(), diffusion.numTimesteps, opts);
}
