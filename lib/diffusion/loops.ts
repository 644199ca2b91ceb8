/**
 * Full reverse chains from t = T-1 down to 0 (guided-diffusion's *_sample_loop_progressive) as
 * generators, so a notebook can look at every step. Each step's tensors stay valid until the
 * generator resumes; the loop then disposes them, so the live tensor count stays constant.
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionProcess } from "./process";
import type { DiffusionModel } from "./types";
import { makeRng, randn, type Rng } from "../rng";
import { ddimSample, pSample, type StepOptions, type StepOutput } from "./steps";

/** Options of a sampling loop. */
export interface LoopOptions extends Omit<StepOptions, "noise" | "rng"> {
  /** x_T to start from (not taken over: the caller still owns it); drawn when absent */
  noise?: tf.Tensor4D;
  /** seed for x_T and every step's noise; Math.random when absent */
  seed?: number;
}

/** One step of a loop: the sample x_{t-1}, the x_0 prediction at t, the timestep index t. */
export type LoopStep = StepOutput & { t: number };

type Step = (x: tf.Tensor4D, t: tf.Tensor1D, rng: Rng | undefined) => StepOutput;

/** Run `step` for t = T-1..0, yielding each output and disposing it when resumed. */
export function* reverseLoop(d: DiffusionProcess, shape: [number, number, number, number], opts: LoopOptions, step: Step): Generator<LoopStep, void, undefined> {
  if (opts.noise && !tf.util.arraysEqual(opts.noise.shape, shape)) {
    throw new Error(`noise shape [${opts.noise.shape.join(", ")}] must equal the sample shape [${shape.join(", ")}]`);
  }
  const rng = opts.seed === undefined ? undefined : makeRng(opts.seed);
  let img = opts.noise ? opts.noise.clone() : (randn(shape, rng) as tf.Tensor4D);
  let out: StepOutput | undefined;
  try {
    for (let i = d.numTimesteps - 1; i >= 0; i--) {
      const x = img;
      out = tf.tidy(() => step(x, tf.fill([shape[0]], i, "int32") as tf.Tensor1D, rng));
      img.dispose();
      img = out.sample;
      yield { sample: out.sample, predXstart: out.predXstart, t: i };
      out.predXstart.dispose();
    }
  } finally {
    img.dispose();
    out?.predXstart.dispose();
  }
}

/** Ancestral sampling, one {@link pSample} per timestep, as a generator. */
export function pSampleLoopProgressive(d: DiffusionProcess, model: DiffusionModel, shape: [number, number, number, number], opts: LoopOptions = {}): Generator<LoopStep, void, undefined> {
  return reverseLoop(d, shape, opts, (x, t, rng) => pSample(d, model, x, t, { ...opts, noise: undefined, rng }));
}

/** DDIM sampling, one {@link ddimSample} per timestep, as a generator. */
export function ddimSampleLoopProgressive(d: DiffusionProcess, model: DiffusionModel, shape: [number, number, number, number], opts: LoopOptions & { eta?: number } = {}): Generator<LoopStep, void, undefined> {
  return reverseLoop(d, shape, opts, (x, t, rng) => ddimSample(d, model, x, t, { ...opts, noise: undefined, rng }));
}

/** Drain a loop and return its final sample (the caller owns it). */
export function finalSample(loop: Generator<LoopStep, void, undefined>): tf.Tensor4D {
  let last: tf.Tensor4D | undefined;
  for (const s of loop) {
    last?.dispose();
    last = s.sample.clone();
  }
  if (!last) throw new Error("the loop ran no steps");
  return last;
}

/** Ancestral sampling x_T -> x_0 (DDPM Algorithm 2); returns x_0. */
export function pSampleLoop(d: DiffusionProcess, model: DiffusionModel, shape: [number, number, number, number], opts: LoopOptions = {}): tf.Tensor4D {
  return finalSample(pSampleLoopProgressive(d, model, shape, opts));
}

/** DDIM sampling x_T -> x_0 (eq. 12, eta = 0 deterministic); returns x_0. */
export function ddimSampleLoop(d: DiffusionProcess, model: DiffusionModel, shape: [number, number, number, number], opts: LoopOptions & { eta?: number } = {}): tf.Tensor4D {
  return finalSample(ddimSampleLoopProgressive(d, model, shape, opts));
}
