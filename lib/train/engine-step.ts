/**
 * The training step on the engine (ONNX Runtime, lib/engine): the task's training graph computes the
 * loss and every gradient; clipping, AdamW and the EMAs run here on typed arrays, on a copy of the
 * training state taken when the run starts. The copy is written back into the state's tensors (the
 * model's weights, the moments, the EMAs) with `sync`: the loop does so before every checkpoint and
 * when it returns, so between checkpoints the model's tfjs weights are those of the last one.
 *
 * The formulas are those of ./adam, ./grad-clip and ./ema, in the same order of operations.
 */
import * as tf from "@tensorflow/tfjs";
import { onnxTrainer, type EngineTrainer, type TrainingBatch, type TrainingObjective } from "../engine/index";
import type { Rng } from "../rng";
import { dropoutMasksFrom } from "./seed";
import type { AdamOptions } from "./adam";
import type { StepExecutor, TrainState } from "./loop";

/** What a task gives the engine: the objective its graph minimises and its batches as typed arrays. */
export interface EngineTask {
  objective: TrainingObjective;
  batchSize: number;
  /** batch `step` from the step's random stream, drawn exactly as the task's lossAt draws it */
  batchAt(step: number, rng: Rng): TrainingBatch;
  /** called with the per-example losses of each step, before afterStep (a loss-aware timestep sampler learns from them) */
  record?(batch: TrainingBatch, losses: Float32Array | null): void;
}

type Arrays = Map<string, Float32Array>;

function read(vars: Map<string, tf.Variable>): Arrays {
  return new Map(Array.from(vars, ([name, v]) => [name, v.dataSync().slice() as Float32Array]));
}

function write(arrays: Arrays, vars: Map<string, tf.Variable>): void {
  for (const [name, v] of vars) {
    const a = arrays.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(a, v.shape, "float32")));
  }
}

export interface EngineExecutorOptions {
  adam?: AdamOptions;
  /** the engine's intra-op threads (default: ADM_ONNX_THREADS, else the physical cores) */
  threads?: number;
}

/** The engine executor of `task` on `state`: loads the training graph into a worker session. */
export async function engineExecutor(task: EngineTask, state: TrainState, opts: EngineExecutorOptions = {}): Promise<StepExecutor> {
  const trainer: EngineTrainer = await onnxTrainer(task.objective, task.batchSize, { threads: opts.threads });
  const names = trainer.params.map((p) => p.name);
  const missing = names.filter((n) => !state.params.has(n));
  if (missing.length || names.length !== state.params.size) {
    await trainer.dispose();
    throw new Error(
      `train (engine): the task's network and the training state differ (${missing.length ? `state lacks ${missing.slice(0, 3).join(", ")}` : `${state.params.size} parameters in the state, ${names.length} in the network`})`,
    );
  }
  const params = read(state.params);
  const m = read(state.adam.m);
  const v = read(state.adam.v);
  const emas = new Map(Array.from(state.ema, ([rate, e]) => [rate, read(e)]));
  const b1 = opts.adam?.beta1 ?? 0.9,
    b2 = opts.adam?.beta2 ?? 0.999,
    eps = opts.adam?.epsilon ?? 1e-8,
    wd = opts.adam?.weightDecay ?? 0;
  let held: Map<string, Float32Array> | null = null;

  return {
    async compute(step, rng, dropout) {
      const batch = task.batchAt(step, rng);
      const r = await trainer.step(batch, params, dropoutMasksFrom(dropout));
      task.record?.(batch, r.losses);
      held = r.grads;
      return { loss: r.loss, extras: r.extras };
    },
    update(lr, gradClip, emaDecays) {
      const grads = held;
      if (!grads) throw new Error("train (engine): update without computed gradients");
      held = null;
      // global norm, and the clipping scale maxNorm / (norm + 1e-6) (./grad-clip)
      let sq = 0;
      for (const g of grads.values()) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
      const norm = Math.sqrt(sq);
      // a non-finite gradient is not applied: the loop stops with the step and the reason
      if (!isFinite(norm)) return norm;
      const scale = isFinite(gradClip) && norm > gradClip ? Math.fround(gradClip / (norm + 1e-6)) : 1;
      // AdamW (./adam): moments, bias corrections, decoupled weight decay from the old weights
      state.adam.step += 1;
      const c1 = 1 - Math.pow(b1, state.adam.step),
        c2 = 1 - Math.pow(b2, state.adam.step);
      for (const [name, p] of params) {
        const g = grads.get(name);
        if (!g) continue; // not read by this loss: keeps its moments, as on tfjs
        const mi = m.get(name)!,
          vi = v.get(name)!;
        for (let i = 0; i < p.length; i++) {
          const gi = scale === 1 ? g[i] : Math.fround(g[i] * scale);
          mi[i] = mi[i] * b1 + gi * (1 - b1);
          vi[i] = vi[i] * b2 + gi * gi * (1 - b2);
          const old = p[i];
          let next = old - (mi[i] / c1 / (Math.sqrt(vi[i] / c2) + eps)) * lr;
          if (wd > 0) next -= old * (lr * wd);
          p[i] = next;
        }
      }
      // ema <- d ema + (1 - d) params (./ema)
      for (const [rate, ema] of emas) {
        const d = emaDecays.get(rate)!;
        for (const [name, p] of params) {
          const e = ema.get(name)!;
          for (let i = 0; i < p.length; i++) e[i] = e[i] * d + p[i] * (1 - d);
        }
      }
      return norm;
    },
    discard() {
      held = null;
    },
    sync() {
      write(params, state.params);
      write(m, state.adam.m);
      write(v, state.adam.v);
      for (const [rate, ema] of emas) write(ema, state.ema.get(rate)!);
    },
    dispose: () => trainer.dispose(),
  };
}
