/**
 * The training loop of the 2-D toys, built on lib/train's pieces: its Adam(W) (`adamStep`), its
 * learning-rate schedule and its per-step random streams. lib/train's `train` fits one model with one
 * loss and one optimiser (and adds checkpoints, EMA and resume); the six toy families need more
 * freedom per step (a GAN alternates two optimisers, an EBM runs Langevin chains between updates),
 * so a step here is a function that calls `minimize` as often as it needs.
 */
import * as tf from "@tensorflow/tfjs";
import { adamStep, createAdamState, disposeAdamState, type AdamOptions, type AdamState } from "../train/adam";
import { learningRate, type LrSchedule } from "../train/lr";
import { streamAt } from "../train/seed";
import type { Rng } from "../rng";
import type { Points } from "./data";

export interface TrainOptions {
  /** optimisation steps */
  steps: number;
  /** minibatch size (default 256) */
  batchSize?: number;
  /** Adam learning rate (each family has its own default) */
  lr?: number;
  /** seeds the initialisation, the minibatches and the noise */
  seed?: number;
  /** read the losses every `logEvery` steps (default 20) and call `onLog` */
  logEvery?: number;
  /** called with the losses every `logEvery` steps, e.g. to push them to a livePlot */
  onLog?: (step: number, losses: Record<string, number>) => void;
}

/** One row of the training log: the step and the named losses there. */
export interface LogEntry {
  step: number;
  losses: Record<string, number>;
}

/** What a trainer reports besides the model: the loss log and the wall time. */
export interface TrainReport {
  history: LogEntry[];
  seconds: number;
}

/** What every 2-D generative model of notebook 02 offers. */
export interface ToyGenerator extends TrainReport {
  /** the family, for tables and plot titles */
  family: string;
  /** `n` new points, row-major [n, 2] */
  sample(n: number, seed?: number): Float32Array;
  /** exact log p(x) per point (nats), where the family makes it tractable (flow, autoregressive) */
  logProb?(x: Float32Array): Float32Array;
  /** the latent-to-data map z -> x (VAE decoder mean, GAN generator, flow inverse) */
  decode?(z: Float32Array): Float32Array;
  /** total number of trainable numbers */
  numParams: number;
  dispose(): void;
}

/** lib/train's Adam(W) over some variables, with its learning-rate schedule. */
export interface Optimizer {
  /** the variables, keyed by their tf names (the keys tf.variableGrads returns) */
  params: Map<string, tf.Variable>;
  state: AdamState;
  lr: LrSchedule;
  adam: AdamOptions;
}

/** An optimiser for `vars` (fresh Adam moments). */
export function optimizer(vars: tf.Variable[], lr: LrSchedule, adam: AdamOptions = {}): Optimizer {
  const params = new Map(vars.map((v) => [v.name, v]));
  return { params, state: createAdamState(params), lr, adam };
}

/** The scalars of one optimisation step: `loss` is minimised, the others are only logged. */
export type StepScalars = { loss: tf.Scalar } & Record<string, tf.Scalar>;

/**
 * One update at step `step`: the gradients of `f().loss` with respect to the optimiser's variables,
 * then one Adam step at the scheduled learning rate. Returns every scalar `f` made (for the log).
 */
export function minimize(opt: Optimizer, step: number, f: () => StepScalars): StepScalars {
  let logged: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const { loss, ...rest } = f();
    logged = rest;
    Object.values(rest).forEach((s) => tf.keep(s));
    return loss;
  }, Array.from(opt.params.values()));
  adamStep(opt.params, new Map(Object.entries(grads)), opt.state, learningRate(opt.lr, step), opt.adam);
  tf.dispose(Object.values(grads));
  return { ...logged, loss: value };
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Run `opts.steps` steps. `step(i, rng)` does the updates of step i (with `minimize`) and returns the
 * scalars to log; `rng` is lib/train's stream for (seed, i). The scalars are read every `logEvery`
 * steps and always disposed; the optimisers' moments are freed at the end. Yields to the event loop
 * after every step, as lib/train's `train` does, so live plots redraw while it runs.
 */
export async function trainSteps(opts: TrainOptions, optimizers: Optimizer[], step: (i: number, rng: Rng) => Record<string, tf.Scalar>): Promise<TrainReport> {
  const every = opts.logEvery ?? 20,
    seed = opts.seed ?? 0;
  const history: LogEntry[] = [];
  const t0 = Date.now();
  try {
    for (let i = 0; i < opts.steps; i++) {
      const out = tf.tidy(() => step(i, streamAt({ seed, purpose: "step", index: i })));
      if (i % every === 0 || i === opts.steps - 1) {
        const losses: Record<string, number> = {};
        for (const k of Object.keys(out)) losses[k] = out[k].dataSync()[0];
        history.push({ step: i, losses });
        opts.onLog?.(i, losses);
      }
      tf.dispose(Object.values(out));
      await yieldToEventLoop();
    }
  } finally {
    optimizers.forEach((o) => disposeAdamState(o.state));
  }
  return { history, seconds: (Date.now() - t0) / 1000 };
}

/** A random minibatch of `size` points (with replacement) as a [size, 2] tensor. */
export function batchOf(p: Points, size: number, rng: Rng): tf.Tensor2D {
  const out = new Float32Array(2 * size);
  for (let k = 0; k < size; k++) {
    const i = rng.int(p.n);
    out[2 * k] = p.x[2 * i];
    out[2 * k + 1] = p.x[2 * i + 1];
  }
  return tf.tensor2d(out, [size, 2]);
}
