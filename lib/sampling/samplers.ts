/**
 * The samplers, each one step over the shared loop (loop.ts), and DDIM inversion:
 * - ddpm: ancestral sampling (Ho et al. 2020, Algorithm 2), classifier guidance by ADM's Algorithm 1
 * - ddim: DDIM (Song et al. 2021, eq. 12), classifier guidance by ADM's Algorithm 2
 * - dpm++: DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2), a second-order multistep solver of the
 *   diffusion ODE in data-prediction form, classifier guidance by Algorithm 2
 */
import * as tf from "@tensorflow/tfjs";
import { ddimReverseSample, ddimSample, pSample, spaceTimesteps, type GaussianDiffusion } from "../diffusion/index";
import { withKernelInterrupt } from "./interrupt";
import { denoiser, type SampleOptions, type Sampler, type SamplerStep, type SamplingModel } from "./loop";

export const ddpm: Sampler = {
  name: "ddpm",
  about: "ancestral sampling, DDPM Algorithm 2 (Ho et al. 2020); guided by ADM Algorithm 1",
  minSteps: 1,
  extraOptions: [],
  timesteps: (d, n) => spaceTimesteps(d.numTimesteps, String(n)),
  async step(ctx) {
    const out = await ctx.denoise("mean");
    return { sample: pSample(out, ctx.t, ctx.noise()), predXstart: out.predXstart };
  },
};

export const ddim: Sampler = {
  name: "ddim",
  about: "DDIM eq. 12 (Song et al. 2021), deterministic at eta = 0; guided by ADM Algorithm 2",
  minSteps: 1,
  extraOptions: ["eta"],
  // the DDIM paper's integer stride, guided-diffusion's "ddimN" respacing
  timesteps: (d, n) => spaceTimesteps(d.numTimesteps, `ddim${n}`),
  async step(ctx) {
    const out = await ctx.denoise("score");
    return { sample: ddimSample(ctx.d, out, ctx.x, ctx.t, { eta: ctx.eta, noise: ctx.noise() }), predXstart: out.predXstart };
  },
};

/** lambda_t = log(alpha_t / sigma_t) = 0.5 log(alphaBar_t / (1 - alphaBar_t)), the half log-SNR. */
function halfLogSnr(alphaBar: number): number {
  return 0.5 * Math.log(alphaBar / (1 - alphaBar));
}

/** Timestep indices (ascending) nearest to `steps` points spaced uniformly in lambda from lambda(T-1) to lambda(0). */
export function logSnrTimesteps(alphasCumprod: Float64Array, steps: number): number[] {
  const lambdas = Array.from(alphasCumprod, halfLogSnr);
  const T = lambdas.length;
  const kept = new Set<number>();
  for (let k = 0; k < steps; k++) {
    const target = lambdas[T - 1] + ((lambdas[0] - lambdas[T - 1]) * k) / (steps - 1);
    let best = 0;
    for (let i = 1; i < T; i++) if (Math.abs(lambdas[i] - target) < Math.abs(lambdas[best] - target)) best = i;
    kept.add(best);
  }
  return Array.from(kept).sort((a, b) => a - b);
}

export const dpmSolverPP: Sampler = {
  name: "dpm++",
  about: "DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2), 10-25 steps; guided by ADM Algorithm 2",
  minSteps: 2,
  extraOptions: [],
  timesteps: (d, n) => logSnrTimesteps(d.alphasCumprod, n),
  async step({ d, x, index, prev, denoise }) {
    const x0 = (await denoise("score")).predXstart;
    // the last step (lambda_0 = +inf in the limit) returns the data prediction itself
    if (index === 0) return { sample: x0.clone(), predXstart: x0 };
    // from t = index to s = index - 1: alpha = sqrt(alphaBar), sigma = sqrt(1 - alphaBar), lambda = log(alpha / sigma)
    const abT = d.alphasCumprod[index];
    const abS = d.alphasCumprodPrev[index];
    const h = halfLogSnr(abS) - halfLogSnr(abT);
    return tf.tidy(() => {
      // D = x0 for the first step, else (1 + 1/(2r)) x0 - (1/(2r)) x0_prev with r = h_prev / h
      let D = x0;
      if (prev) {
        const r = (halfLogSnr(abT) - halfLogSnr(d.alphasCumprod[prev.index])) / h;
        D = x0.mul(1 + 1 / (2 * r)).sub(prev.predXstart.mul(1 / (2 * r)));
      }
      // x_s = (sigma_s / sigma_t) x_t - alpha_s (e^{-h} - 1) D
      const sample = x.mul(Math.sqrt(1 - abS) / Math.sqrt(1 - abT)).sub(D.mul(Math.sqrt(abS) * Math.expm1(-h))) as tf.Tensor4D;
      return { sample, predXstart: x0 };
    });
  },
};

/** The samplers by name, for the CLI and notebooks. */
export const SAMPLERS = { ddpm, ddim, "dpm++": dpmSolverPP } as const;
export type SamplerName = keyof typeof SAMPLERS;

/** The sampler called `name`, or an error listing the names. */
export function getSampler(name: string): Sampler {
  const s = (SAMPLERS as Record<string, Sampler>)[name];
  if (!s) throw new Error(`unknown sampler "${name}"; use one of ${Object.keys(SAMPLERS).join(", ")}`);
  return s;
}

/** Options of {@link encodeDdim}. */
export type EncodeDdimOptions = Pick<SampleOptions, "clipDenoised" | "denoisedFn" | "modelKwargs" | "progress" | "callback" | "signal">;

/**
 * Encode images into DDIM latents by running eq. 12 forwards with eta = 0, t = 0..T-1
 * (guided-diffusion's ddim_reverse_sample); the ddim sampler with eta = 0 decodes them back.
 * Resolves to x_T (the caller disposes it).
 */
export async function encodeDdim(d: GaussianDiffusion, model: SamplingModel, x0: tf.Tensor4D, opts: EncodeDdimOptions = {}): Promise<tf.Tensor4D> {
  const signal = withKernelInterrupt(opts.signal);
  const denoise = denoiser(d, model, { ...opts, signal });
  let x = x0.clone();
  for (let index = 0; index < d.numTimesteps; index++) {
    if (signal?.aborted) {
      x.dispose();
      throw signal.reason ?? new Error("encoding was aborted");
    }
    const t = tf.fill([x.shape[0]], index, "int32") as tf.Tensor1D;
    let out: Awaited<ReturnType<typeof denoise>>;
    try {
      out = await denoise(x, t);
    } catch (e) {
      tf.dispose([t, x]);
      throw e;
    }
    const next = ddimReverseSample(d, out, x, t);
    const step: SamplerStep = { x: next, i: index, total: d.numTimesteps, t: index, predXstart: out.predXstart };
    opts.callback?.(step);
    opts.progress?.(index + 1, d.numTimesteps);
    tf.dispose([t, x, ...Object.values(out)]);
    x = next;
  }
  return x;
}
