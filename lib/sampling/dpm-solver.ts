/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2): a second-order multistep solver of
 * the diffusion ODE in data-prediction form, on a subset of the diffusion's timesteps.
 */
import * as tf from "@tensorflow/tfjs";
import { makeRng, randn, spaceTimesteps, type DiffusionModel, type GaussianDiffusion, type LoopStep } from "../diffusion/index";
import type { SampleShape, SamplerOptions } from "./types";
import { drive } from "./drive";

/** Options of {@link sampleDpmSolverPP}. */
export interface DpmSolverOptions extends SamplerOptions {
  /** model evaluations (at most; fewer when the diffusion has fewer distinct timesteps); default: every timestep of the diffusion */
  steps?: number;
  /**
   * how `steps` timesteps are picked from the diffusion's: "logSNR" (default) nearest to a uniform grid
   * in lambda = log(alpha / sigma), as DPM-Solver recommends for few steps; "time_uniform" as
   * spaceTimesteps(T, String(steps))
   */
  skipType?: "logSNR" | "time_uniform";
}

/** lambda_t = log(alpha_t / sigma_t) = 0.5 log(alphaBar_t / (1 - alphaBar_t)), the half log-SNR. */
function halfLogSnr(alphaBar: number): number {
  return 0.5 * Math.log(alphaBar / (1 - alphaBar));
}

/** Diffusion timesteps (ascending) nearest to `steps` points spaced uniformly in lambda from lambda(T-1) to lambda(0). */
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

/**
 * The solver's timesteps, descending from T-1 to 0. At each, x_0 is predicted (clipped as in
 * pMeanVariance, then guided with Algorithm 2 when condFn is set); the last step returns x_0.
 */
function* dpmSolverPPProgressive(diffusion: GaussianDiffusion, model: DiffusionModel, shape: SampleShape, ts: number[], opts: DpmSolverOptions): Generator<LoopStep, void, undefined> {
  if (opts.noise && !tf.util.arraysEqual(opts.noise.shape, shape)) {
    throw new Error(`noise shape [${opts.noise.shape.join(", ")}] must equal the sample shape [${shape.join(", ")}]`);
  }
  const ab = diffusion.alphasCumprod;
  // alpha_t = sqrt(alphaBar), sigma_t = sqrt(1 - alphaBar), lambda_t = log(alpha_t / sigma_t)
  const alpha = (t: number): number => Math.sqrt(ab[t]);
  const sigma = (t: number): number => Math.sqrt(1 - ab[t]);
  const lambda = (t: number): number => halfLogSnr(ab[t]);
  const rng = opts.seed === undefined ? undefined : makeRng(opts.seed);
  let x = opts.noise ? opts.noise.clone() : (randn(shape, rng) as tf.Tensor4D);
  let prevX0: tf.Tensor4D | undefined;
  let x0: tf.Tensor4D | undefined;
  let hPrev = 0;
  try {
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i];
      const xs = x;
      const prev = prevX0;
      x0 = tf.tidy(() => {
        const tt = tf.fill([shape[0]], t, "int32") as tf.Tensor1D;
        let out = diffusion.pMeanVariance(model, xs, tt, opts);
        if (opts.condFn) out = diffusion.conditionScore(opts.condFn, out, xs, tt, opts.modelKwargs);
        return out.predXstart;
      });
      const now = x0;
      let next: tf.Tensor4D;
      let h = 0;
      if (i === ts.length - 1) {
        next = now.clone(); // lambda = +inf: the solution is the data prediction itself
      } else {
        const s = ts[i + 1];
        h = lambda(s) - lambda(t);
        const r = hPrev / h;
        next = tf.tidy(() => {
          // D = x0_i for the first step, else (1 + 1/(2r)) x0_i - (1/(2r)) x0_{i-1}, r = h_{i-1} / h_i
          const d = prev ? now.mul(1 + 1 / (2 * r)).sub(prev.mul(1 / (2 * r))) : now;
          // x_s = (sigma_s / sigma_t) x_t - alpha_s (e^{-h} - 1) D
          return xs.mul(sigma(s) / sigma(t)).sub(d.mul(alpha(s) * Math.expm1(-h))) as tf.Tensor4D;
        });
      }
      x.dispose();
      x = next;
      prevX0?.dispose();
      prevX0 = now;
      hPrev = h;
      yield { sample: x, predXstart: now, t };
    }
  } finally {
    x.dispose();
    prevX0?.dispose();
  }
}

/**
 * Sample with DPM-Solver++(2M), for models on any mean type (x_0 is the data prediction), with
 * classifier guidance (condFn, Algorithm 2) or a cfgModel. 10-25 steps usually suffice.
 */
export function sampleDpmSolverPP(diffusion: GaussianDiffusion, model: DiffusionModel, shape: SampleShape, opts: DpmSolverOptions = {}): tf.Tensor4D {
  const { steps, skipType = "logSNR" } = opts;
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 2)) throw new Error(`DPM-Solver++ needs steps >= 2; got ${steps}`);
  if (skipType !== "logSNR" && skipType !== "time_uniform") throw new Error(`skipType must be "logSNR" or "time_uniform"; got "${skipType as string}"`);
  const kept =
    steps === undefined
      ? Array.from({ length: diffusion.numTimesteps }, (_, i) => i)
      : skipType === "logSNR"
        ? logSnrTimesteps(diffusion.alphasCumprod, steps)
        : spaceTimesteps(diffusion.numTimesteps, String(steps));
  const ts = kept.slice().reverse();
  return drive(dpmSolverPPProgressive(diffusion, model, shape, ts, opts), ts.length, opts);
}
