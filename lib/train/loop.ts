/**
 * The training loop shared by diffusion models and classifiers: per step, a loss from the task,
 * gradients, clipping, Adam(W) with warm-up, the EMA update, a NaN/Inf guard on the loss and its
 * gradient (the run stops before a bad update reaches the weights or a checkpoint), periodic atomic
 * checkpoints, a progress bar and a per-step callback. Deterministic: the random stream of step s
 * depends only on (seed, s), so a resumed run repeats an uninterrupted one exactly.
 */
import * as tf from "@tensorflow/tfjs";
import { adamStep, createAdamState, type AdamOptions, type AdamState } from "./adam";
import { createEma, emaDecay, updateEma } from "./ema";
import { clipByGlobalNorm } from "./grad-clip";
import { learningRate, type LrSchedule } from "./lr";
import { streamAt } from "./seed";
import type { Rng } from "../rng";
import type { Module } from "../nn/index";
import { progress as makeProgress } from "../viz/progress";

/** What one step computes: the scalar loss to minimise, plus numbers to report (read after the step). */
export interface StepLoss {
  loss: tf.Scalar;
  /** extra per-step values (tensors are read and disposed by the loop), e.g. accuracy or mse/vb parts */
  extras?: Record<string, tf.Scalar | number>;
}

/** A training task: builds the loss of batch `step` from its random stream. Runs inside tf.variableGrads. */
export interface TrainingTask {
  lossAt(step: number, rng: Rng): StepLoss;
  /** called after the optimizer step with what the loss produced (e.g. to update a timestep sampler) */
  afterStep?(step: number): void;
  /** JSON-able state the task needs to resume exactly (e.g. a loss-aware sampler's history) */
  saveState?(): unknown;
  loadState?(state: unknown): void;
}

export interface TrainOptions {
  /** total number of optimizer steps (the run stops when state.step reaches it) */
  steps: number;
  lr: LrSchedule;
  adam?: AdamOptions;
  /** clip the global gradient norm to this value (default: no clipping) */
  gradClip?: number;
  /** EMA rates to keep, e.g. [0.9999] (ADM) or [0.999] for short runs */
  emaRates?: number[];
  seed: number;
  /** called after every step with its statistics */
  onStep?: (s: StepStats) => void;
  /** asked after every step: true saves a checkpoint and stops early (e.g. a time limit) */
  shouldStop?: (s: StepStats) => boolean;
  /** save a checkpoint every N steps and at the end */
  checkpointEvery?: number;
  saveCheckpoint?: (state: TrainState) => void;
  /** label of the progress bar; false for none */
  progress?: string | false;
}

export interface StepStats {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  seconds: number;
  extras: Record<string, number>;
}

/** Everything a checkpoint holds. */
export interface TrainState {
  step: number;
  params: Map<string, tf.Variable>;
  adam: AdamState;
  ema: Map<number, Map<string, tf.Variable>>;
  taskState?: unknown;
  /** losses of the steps run so far in this process (for plots and model cards) */
  history: StepStats[];
}

/** A fresh training state for `model`: an nn Module, or anything with its named variables (zero Adam moments, EMA = current weights). */
export function initTrainState(model: Pick<Module, "params">, emaRates: number[] = []): TrainState {
  const ema = new Map<number, Map<string, tf.Variable>>();
  for (const r of emaRates) ema.set(r, createEma(model.params));
  return { step: 0, params: model.params, adam: createAdamState(model.params), ema, history: [] };
}

/** Thrown when the loss or its gradient stops being finite; the weights and the last checkpoint are left as they were. */
export class NonFiniteLossError extends Error {
  constructor(message: string) {
    super(message);
    // keeps `instanceof` working when tslab compiles to an older target
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "NonFiniteLossError";
  }
}

function checkOption(ok: boolean, name: string, value: unknown, want: string): void {
  if (!ok) throw new RangeError(`train: ${name} = ${String(value)} must be ${want}`);
}

const isInt = (v: unknown, min: number): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= min;
const isIn = (v: unknown, lo: number, hi: number): boolean => typeof v === "number" && v >= lo && v < hi;

/**
 * Refuse options no run can use, before any step: a negative clip norm (gradient ascent), an EMA
 * rate outside [0, 1), negative warm-up or checkpoint intervals, non-integer counts.
 */
export function checkTrainOptions(opts: TrainOptions): void {
  checkOption(isInt(opts.steps, 0), "steps", opts.steps, "a non-negative integer");
  checkOption(typeof opts.lr?.lr === "number" && opts.lr.lr > 0 && Number.isFinite(opts.lr.lr), "lr.lr", opts.lr?.lr, "a finite number > 0");
  checkOption(opts.lr.warmup === undefined || isInt(opts.lr.warmup, 0), "lr.warmup", opts.lr.warmup, "a non-negative integer (steps)");
  checkOption(opts.lr.decaySteps === undefined || isInt(opts.lr.decaySteps, 1), "lr.decaySteps", opts.lr.decaySteps, "a positive integer (a step)");
  const from = opts.lr.decayFrom;
  checkOption(from === undefined || (isInt(from, 0) && (opts.lr.decaySteps === undefined || from < opts.lr.decaySteps)), "lr.decayFrom", from, "a non-negative integer step before lr.decaySteps");
  checkOption(opts.gradClip === undefined || (typeof opts.gradClip === "number" && opts.gradClip > 0), "gradClip", opts.gradClip, "a norm > 0 (leave it out for no clipping)");
  for (const r of opts.emaRates ?? []) checkOption(isIn(r, 0, 1), "emaRates", r, "a rate in [0, 1) (ADM: 0.9999)");
  checkOption(Number.isSafeInteger(opts.seed), "seed", opts.seed, "an integer");
  checkOption(opts.checkpointEvery === undefined || isInt(opts.checkpointEvery, 0), "checkpointEvery", opts.checkpointEvery, "a non-negative integer (0: only at the end)");
  const a = opts.adam ?? {};
  for (const k of ["beta1", "beta2"] as const) checkOption(a[k] === undefined || isIn(a[k], 0, 1), `adam.${k}`, a[k], "in [0, 1)");
  checkOption(a.epsilon === undefined || (a.epsilon > 0 && Number.isFinite(a.epsilon)), "adam.epsilon", a.epsilon, "a finite number > 0");
  checkOption(a.weightDecay === undefined || (a.weightDecay >= 0 && Number.isFinite(a.weightDecay)), "adam.weightDecay", a.weightDecay, "a finite number >= 0");
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Train until `opts.steps`, starting from `state.step` (0, or a restored checkpoint). `model` is an nn
 * Module, or any network with its variables by state_dict name and a dropout flag. Yields to the
 * event loop after every step so notebook displays (live plots, progress) update while it runs.
 */
export async function train(model: Pick<Module, "params" | "training">, task: TrainingTask, state: TrainState, opts: TrainOptions): Promise<TrainState> {
  if (state.params !== model.params) throw new Error("train: the state belongs to another model (its params map differs)");
  checkTrainOptions(opts);
  const names = Array.from(model.params.keys());
  const vars = names.map((n) => model.params.get(n)!);
  const byVarName = new Map<string, string>(names.map((n, i) => [vars[i].name, n]));
  const bar = opts.progress === false ? undefined : makeProgress(opts.progress ?? "train", opts.steps - state.step);
  const wasTraining = model.training;
  model.training = true;
  try {
    while (state.step < opts.steps) {
      const step = state.step;
      const t0 = Date.now();
      const rng = streamAt({ seed: opts.seed, purpose: "step", index: step });
      const extras: Record<string, number> = {};
      const { value, grads } = tf.variableGrads(() => {
        const out = task.lossAt(step, rng);
        for (const [k, v] of Object.entries(out.extras ?? {})) {
          extras[k] = typeof v === "number" ? v : v.dataSync()[0];
        }
        return out.loss;
      }, vars);
      const loss = value.dataSync()[0];
      value.dispose();
      const named = new Map<string, tf.Tensor>();
      for (const [vn, g] of Object.entries(grads)) named.set(byVarName.get(vn)!, g);
      if (!isFinite(loss)) {
        tf.dispose(Object.values(grads));
        throw new NonFiniteLossError(
          `training stopped at step ${step}: the loss is ${loss}. The weights were not updated; the last checkpoint (if any) is intact. ` +
            `Lower the learning rate (now ${learningRate(opts.lr, step)}), add warm-up or gradient clipping, and check the data are in [-1, 1].`);
      }
      const clipped = clipByGlobalNorm(named, opts.gradClip ?? Infinity);
      tf.dispose(Object.values(grads));
      if (!isFinite(clipped.norm)) {
        tf.dispose(Array.from(clipped.grads.values()));
        throw new NonFiniteLossError(
          `training stopped at step ${step}: the loss is ${loss} but its gradient norm is ${clipped.norm}. The weights were not updated; the last checkpoint (if any) is intact. ` +
            `Lower the learning rate (now ${learningRate(opts.lr, step)}) and check the data and the model's inputs for extreme values.`);
      }
      const lr = learningRate(opts.lr, step);
      adamStep(model.params, clipped.grads, state.adam, lr, opts.adam);
      tf.dispose(Array.from(clipped.grads.values()));
      for (const [rate, ema] of state.ema) updateEma(ema, model.params, emaDecay({ rate, step }));
      task.afterStep?.(step);
      state.step = step + 1;
      const stats: StepStats = { step, loss, lr, gradNorm: clipped.norm, seconds: (Date.now() - t0) / 1000, extras };
      state.history.push(stats);
      opts.onStep?.(stats);
      bar?.tick(1, `loss ${loss.toFixed(4)}`);
      const stop = opts.shouldStop?.(stats) === true;
      const every = opts.checkpointEvery ?? 0;
      if (opts.saveCheckpoint && ((every > 0 && state.step % every === 0) || state.step === opts.steps || stop)) {
        state.taskState = task.saveState?.();
        opts.saveCheckpoint(state);
      }
      await yieldToEventLoop();
      if (stop) break;
    }
  } finally {
    model.training = wasTraining;
  }
  bar?.done();
  return state;
}
