/**
 * Helpers for notebook 04 (the reverse process and the loss on 2-D points): train a point denoiser
 * with lib/train, record reverse trajectories x_T -> x_0 with the x_0 predictions, and read the
 * per-timestep terms of the variational bound out of calcBpdLoop in the seminar's order.
 */
import * as tf from "@tensorflow/tfjs";
import type { GaussianDiffusion } from "../diffusion/gaussian-diffusion";
import type { DiffusionModel } from "../diffusion/gaussian-diffusion";
import type { BpdTerms } from "../diffusion/losses";
import { sampleSteps } from "../sampling/loop";
import { ddpm } from "../sampling/samplers";
import { UniformSampler, type ScheduleSampler } from "../diffusion/resample";
import { diffusionTask } from "../train/diffusion-task";
import { initTrainState, train, type StepStats } from "../train/loop";
import type { Module } from "../nn/index";
import { disposeAdamState } from "../train/adam";
import { pointsDataset } from "./points";
import type { PointPaths } from "./forward-chain";

export interface TrainPointsOptions {
  steps: number;
  /** minibatch size (default 256) */
  batchSize?: number;
  /** learning rate (default 2e-3), reached after `warmup` steps (default 0) */
  lr?: number;
  warmup?: number;
  /** decay the learning rate linearly to 0 at the last step (default false: constant) */
  decay?: boolean;
  /** keep an exponential moving average of the weights with this rate (e.g. 0.995) and copy it into the model at the end */
  ema?: number;
  seed?: number;
  /** timestep sampler (default uniform) */
  sampler?: ScheduleSampler;
  /** called every `logEvery` steps (default 25) with the step and its loss, mse and vb parts */
  onLog?: (step: number, losses: Record<string, number>) => void;
  logEvery?: number;
}

/**
 * Train a DiffusionModel with named variables on 2-D points (row-major [n, 2]) with lib/train's
 * loop and diffusion task: uniform timesteps, the loss the diffusion was created with, Adam.
 * Returns every step's statistics.
 */
export async function trainPoints(
  model: DiffusionModel & Pick<Module, "params" | "training">,
  diffusion: GaussianDiffusion,
  points: Float32Array,
  opts: TrainPointsOptions,
): Promise<StepStats[]> {
  const seed = opts.seed ?? 0;
  const task = diffusionTask({
    diffusion,
    model,
    data: pointsDataset(points),
    batchSize: opts.batchSize ?? 256,
    seed,
    sampler: opts.sampler ?? new UniformSampler(diffusion),
    classCond: false,
  });
  const every = opts.logEvery ?? 25;
  const state = await train(model, task, initTrainState(model, opts.ema ? [opts.ema] : []), {
    steps: opts.steps,
    lr: { lr: opts.lr ?? 2e-3, warmup: opts.warmup ?? 0, decaySteps: opts.decay ? opts.steps : undefined },
    seed,
    progress: false,
    emaRates: opts.ema ? [opts.ema] : undefined,
    onStep: (s) => {
      if (opts.onLog && (s.step % every === 0 || s.step === opts.steps - 1)) opts.onLog(s.step, { loss: s.loss, ...s.extras });
    },
  });
  disposeAdamState(state.adam);
  if (opts.ema) {
    const ema = state.ema.get(opts.ema)!;
    for (const [name, v] of model.params) v.assign(ema.get(name)!);
    for (const v of ema.values()) v.dispose();
  }
  return state.history;
}

export interface ReversePaths {
  /** x_t at the recorded times (seminar t: T = pure noise, 0 = the sample) */
  x: PointPaths;
  /** the model's (clipped) prediction of x_0 made from x_t, at each recorded time t (T down to `every`) */
  predX0: PointPaths;
}

/**
 * Run ancestral sampling (the ddpm sampler) for `n` points and keep x_t and the x_0 prediction
 * every `every` steps. Library step index i turns x_{i+1} into x_i (seminar times), so the
 * snapshot after index i is x_i; x_T is the starting noise.
 */
export async function recordReverse(
  diffusion: GaussianDiffusion,
  model: DiffusionModel,
  n: number,
  opts: { seed?: number; every?: number; clipDenoised?: boolean; channels?: number } = {},
): Promise<ReversePaths> {
  const c = opts.channels ?? 2;
  const every = opts.every ?? 10;
  const T = diffusion.numTimesteps;
  const noise = tf.randomNormal([n, 1, 1, c], 0, 1, "float32", opts.seed ?? 0) as tf.Tensor4D;
  const ts: number[] = [T],
    xs: Float32Array[] = [noise.dataSync().slice() as Float32Array];
  const pts: number[] = [],
    ps: Float32Array[] = [];
  try {
    for await (const s of sampleSteps(ddpm, diffusion, model, [n, 1, 1, c], { noise, seed: opts.seed ?? 0, clipDenoised: opts.clipDenoised ?? true })) {
      // library step i turns x_{i+1} into x_i (seminar times); its x_0 prediction was made from x_{i+1}
      const i = s.t;
      if ((i + 1) % every === 0 || i === T - 1) {
        pts.push(i + 1);
        ps.push(s.predXstart.dataSync().slice() as Float32Array);
      }
      if (i % every === 0) {
        ts.push(i);
        xs.push(s.x.dataSync().slice() as Float32Array);
      }
    }
  } finally {
    noise.dispose();
  }
  return { x: { t: ts, x: xs }, predX0: { t: pts, x: ps } };
}

export interface BoundByT {
  /** seminar index of each term: 0 for L_0 = -log p(x_0 | x_1), t for L_t = KL(q(x_t | x_{t+1}, x_0) || p(x_t | x_{t+1})), t = 1..T-1 */
  t: number[];
  /** the term, averaged over the batch, in bits/dim (in the order of `t`) */
  bits: number[];
  /** L_T = KL(q(x_T | x_0) || N(0, I)), batch mean, bits/dim */
  prior: number;
  /** the whole bound (prior + all terms), batch mean, bits/dim */
  total: number;
}

/**
 * calcBpdLoop's terms in the seminar's order. Its column j holds library timestep T-1-j; library
 * timestep i yields L_i (the decoder term at i = 0). Does not dispose `terms`.
 */
export function boundByT(terms: BpdTerms): BoundByT {
  const vb = terms.vb.mean(0);
  const cols = vb.dataSync();
  vb.dispose();
  const T = cols.length;
  const t: number[] = [],
    bits: number[] = [];
  for (let i = 0; i < T; i++) {
    t.push(i);
    bits.push(cols[T - 1 - i]);
  }
  const prior = tf.tidy(() => terms.priorBpd.mean().dataSync()[0]);
  const total = tf.tidy(() => terms.totalBpd.mean().dataSync()[0]);
  return { t, bits, prior, total };
}
