/**
 * The training loop shared by diffusion models and classifiers: per step, a loss from the task,
 * gradients, clipping, Adam(W) with warm-up, the EMA update, a NaN/Inf guard, periodic atomic
 * checkpoints, a progress bar, a per-step callback and an AbortSignal. Deterministic: the random
 * streams of step s (the batch's draws, dropout's masks) depend only on (seed, s), so a resumed run
 * repeats an uninterrupted one exactly. Two executors: tfjs (tf.variableGrads through the task's
 * loss) and the engine (the task's training graph on ONNX Runtime, ./engine-step).
 */
import * as tf from "@tensorflow/tfjs";
import { adamStep, createAdamState, type AdamOptions, type AdamState } from "./adam";
import { createEma, emaDecay, updateEma } from "./ema";
import { engineExecutor, type EngineTask } from "./engine-step";
import { clipByGlobalNorm } from "./grad-clip";
import { learningRate, type LrSchedule } from "./lr";
import { dropoutMasksFrom, streamAt } from "./seed";
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
  /** the same step for the engine (its training graph's objective, batches as typed arrays); absent: tfjs only */
  engine?: EngineTask;
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
  /**
   * stops the loop at the end of the current step: a checkpoint is saved (when `saveCheckpoint` is
   * given) and train rejects with the signal's reason (e.g. a notebook's interrupt)
   */
  signal?: AbortSignal;
  /**
   * who computes the loss and gradients: "tfjs" (default; any task) or "onnx" (the engine, about 5x
   * faster; tasks with `engine`). On the engine the optimizer works on a typed-array copy of the
   * state, written back into the state's and the model's tensors at each checkpoint and when train
   * returns or throws.
   */
  engine?: "onnx" | "tfjs";
  /** the engine's threads, one data-parallel session each (default: ADM_ONNX_THREADS, else the physical cores) */
  threads?: number;
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

/** Thrown when the loss stops being finite; the last good checkpoint is left in place. */
export class NonFiniteLossError extends Error {}

/** One step's loss and the numbers reported beside it; the gradients stay with the executor until `update`. */
export interface ComputedStep {
  loss: number;
  extras: Record<string, number>;
}

/** How the loop drives an executor: compute; then, if the loss is finite, update; sync before saving. */
export interface StepExecutor {
  /** the loss and gradients of batch `step` (`rng`: its draws; `dropout`: its dropout stream) */
  compute(step: number, rng: Rng, dropout: Rng): Promise<ComputedStep>;
  /** clip the held gradients to `gradClip`, AdamW at `lr`, each EMA with its decay; returns the gradient norm (a non-finite one is not applied) */
  update(lr: number, gradClip: number, emaDecays: Map<number, number>): number;
  /** drop the held gradients (after a non-finite loss) */
  discard(): void;
  /** write the executor's copy of the state into the state's tensors (a no-op when it works on them) */
  sync(): void;
  dispose(): Promise<void>;
}

/** The tfjs executor: tf.variableGrads through the task's loss, dropout masks from the step's dropout stream. */
function tfjsExecutor(model: Pick<Module, "params" | "dropoutMasks">, task: TrainingTask, state: TrainState, adam: AdamOptions | undefined): StepExecutor {
  const names = Array.from(model.params.keys());
  const vars = names.map((n) => model.params.get(n)!);
  const byVarName = new Map<string, string>(names.map((n, i) => [vars[i].name, n]));
  let held: Map<string, tf.Tensor> | null = null;
  const discard = () => {
    if (held) tf.dispose(Array.from(held.values()));
    held = null;
  };
  return {
    async compute(step, rng, dropout) {
      const extras: Record<string, number> = {};
      model.dropoutMasks = dropoutMasksFrom(dropout);
      let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
      try {
        result = tf.variableGrads(() => {
          const out = task.lossAt(step, rng);
          for (const [k, v] of Object.entries(out.extras ?? {})) extras[k] = typeof v === "number" ? v : v.dataSync()[0];
          return out.loss;
        }, vars);
      } finally {
        model.dropoutMasks = null;
      }
      const loss = result.value.dataSync()[0];
      result.value.dispose();
      held = new Map(Object.entries(result.grads).map(([vn, g]) => [byVarName.get(vn)!, g]));
      return { loss, extras };
    },
    update(lr, gradClip, emaDecays) {
      if (!held) throw new Error("train: update without computed gradients");
      const clipped = clipByGlobalNorm(held, gradClip);
      discard();
      // a non-finite gradient is not applied: the loop stops with the step and the reason
      if (!isFinite(clipped.norm)) {
        tf.dispose(Array.from(clipped.grads.values()));
        return clipped.norm;
      }
      adamStep(state.params, clipped.grads, state.adam, lr, adam);
      tf.dispose(Array.from(clipped.grads.values()));
      for (const [rate, ema] of state.ema) updateEma(ema, state.params, emaDecays.get(rate)!);
      return clipped.norm;
    },
    discard,
    sync() {},
    async dispose() {
      discard();
    },
  };
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
  checkOption(
    from === undefined || (isInt(from, 0) && (opts.lr.decaySteps === undefined || from < opts.lr.decaySteps)),
    "lr.decayFrom",
    from,
    "a non-negative integer step before lr.decaySteps",
  );
  checkOption(
    opts.gradClip === undefined || (typeof opts.gradClip === "number" && opts.gradClip > 0),
    "gradClip",
    opts.gradClip,
    "a norm > 0 (leave it out for no clipping)",
  );
  for (const r of opts.emaRates ?? []) checkOption(isIn(r, 0, 1), "emaRates", r, "a rate in [0, 1) (ADM: 0.9999)");
  checkOption(Number.isSafeInteger(opts.seed), "seed", opts.seed, "an integer");
  checkOption(
    opts.checkpointEvery === undefined || isInt(opts.checkpointEvery, 0),
    "checkpointEvery",
    opts.checkpointEvery,
    "a non-negative integer (0: only at the end)",
  );
  const a = opts.adam ?? {};
  for (const k of ["beta1", "beta2"] as const) checkOption(a[k] === undefined || isIn(a[k], 0, 1), `adam.${k}`, a[k], "in [0, 1)");
  checkOption(a.epsilon === undefined || (a.epsilon > 0 && Number.isFinite(a.epsilon)), "adam.epsilon", a.epsilon, "a finite number > 0");
  checkOption(a.weightDecay === undefined || (a.weightDecay >= 0 && Number.isFinite(a.weightDecay)), "adam.weightDecay", a.weightDecay, "a finite number >= 0");
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Train until `opts.steps`, starting from `state.step` (0, or a restored checkpoint). `model` is an nn
 * Module, or any network with its variables by state_dict name and a dropout flag. Yields to the
 * event loop after every step so notebook displays (live plots, progress) update while it runs, and
 * so that `opts.signal` can stop it.
 */
export async function train(
  model: Pick<Module, "params" | "training" | "dropoutMasks">,
  task: TrainingTask,
  state: TrainState,
  opts: TrainOptions,
): Promise<TrainState> {
  checkTrainOptions(opts);
  if (state.params !== model.params) throw new Error("train: the state belongs to another model (its params map differs)");
  const engine = opts.engine ?? "tfjs";
  if (engine !== "onnx" && engine !== "tfjs") throw new Error(`train: engine must be "onnx" or "tfjs", got ${engine}`);
  if (engine === "onnx" && !task.engine) {
    throw new Error(
      'train: this task cannot run on the engine (only diffusionTask and classifierTask with a UNetModel or EncoderUNetModel can); pass engine: "tfjs"',
    );
  }
  opts.signal?.throwIfAborted();
  if (state.step >= opts.steps) return state;
  const executor =
    engine === "onnx" ? await engineExecutor(task.engine!, state, { adam: opts.adam, threads: opts.threads }) : tfjsExecutor(model, task, state, opts.adam);
  const bar = opts.progress === false ? undefined : makeProgress(opts.progress ?? "train", opts.steps - state.step);
  const wasTraining = model.training;
  model.training = true;
  try {
    while (state.step < opts.steps) {
      const step = state.step;
      const t0 = Date.now();
      const rng = streamAt({ seed: opts.seed, purpose: "step", index: step });
      const dropout = streamAt({ seed: opts.seed, purpose: "dropout", index: step });
      const { loss, extras } = await executor.compute(step, rng, dropout);
      if (!isFinite(loss)) {
        executor.discard();
        throw new NonFiniteLossError(
          `training stopped at step ${step}: the loss is ${loss}. The weights were not updated; the last checkpoint (if any) is intact. ` +
            `Lower the learning rate (now ${learningRate(opts.lr, step)}), add warm-up or gradient clipping, and check the data are in [-1, 1].`,
        );
      }
      const lr = learningRate(opts.lr, step);
      const decays = new Map(Array.from(state.ema.keys(), (rate) => [rate, emaDecay({ rate, step })]));
      const gradNorm = executor.update(lr, opts.gradClip ?? Infinity, decays);
      if (!isFinite(gradNorm)) {
        throw new NonFiniteLossError(
          `training stopped at step ${step}: the loss is ${loss} but its gradient norm is ${gradNorm}. The weights were not updated; the last checkpoint (if any) is intact. ` +
            `Lower the learning rate (now ${lr}) and check the data and the model's inputs for extreme values.`,
        );
      }
      task.afterStep?.(step);
      state.step = step + 1;
      const stats: StepStats = { step, loss, lr, gradNorm, seconds: (Date.now() - t0) / 1000, extras };
      state.history.push(stats);
      opts.onStep?.(stats);
      bar?.tick(1, `loss ${loss.toFixed(4)}`);
      await yieldToEventLoop();
      const aborted = opts.signal?.aborted === true;
      const stop = aborted || opts.shouldStop?.(stats) === true;
      const every = opts.checkpointEvery ?? 0;
      if (opts.saveCheckpoint && ((every > 0 && state.step % every === 0) || state.step === opts.steps || stop)) {
        state.taskState = task.saveState?.();
        executor.sync();
        opts.saveCheckpoint(state);
      }
      if (aborted) opts.signal!.throwIfAborted();
      if (stop) break;
    }
  } finally {
    model.training = wasTraining;
    executor.sync();
    await executor.dispose();
    bar?.done();
  }
  return state;
}
