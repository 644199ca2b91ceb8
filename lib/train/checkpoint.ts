/**
 * Training checkpoints. One file, `state.safetensors`, holds everything needed to resume exactly:
 * the weights, the Adam moments and the EMA copies (our layout, float32), and in its metadata the
 * step, the run's configuration, the task's state and the loss history. It is written atomically
 * (temporary file, fsync, rename), so a killed process leaves the previous checkpoint intact.
 * Beside it, `model.safetensors` holds the EMA weights in PyTorch layout under guided-diffusion's
 * key names: the file to sample from, which PyTorch can load too.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, mkdirSync } from "fs";
import { join } from "path";
import { readSafetensors, writeSafetensors } from "../io/safetensors";
import { toTorchLayout } from "../io/torch-layout";
import type { StateDict, TensorRecord } from "../io/tensor-record";
import { floatToHalf, toFloat32 } from "../io/tensor-record";
import type { Module } from "../nn/index";
import type { StepStats, TrainState } from "./loop";

export const STATE_FILE = "state.safetensors";
export const MODEL_FILE = "model.safetensors";
const FORMAT = "adm-ts-train-state-1";

function record(t: tf.Tensor): TensorRecord {
  return { dtype: "float32", shape: t.shape.slice(), data: t.dataSync() as Float32Array };
}

/** Which parameter set a key of the state file belongs to. */
const PREFIX = { params: "params/", m: "adam.m/", v: "adam.v/", ema: (rate: number) => `ema_${rate}/` };

/** The EMA (or, without one, the raw) weights of `model` in PyTorch layout, keyed by state_dict names. */
export function exportWeights(model: Module, weights: Map<string, tf.Variable>): StateDict {
  const out: StateDict = new Map();
  for (const spec of model.specs) {
    const v = weights.get(spec.name);
    if (!v) throw new Error(`exportWeights: no weight named ${spec.name}`);
    const t = toTorchLayout(v, spec.layout);
    out.set(spec.name, record(t));
    t.dispose();
  }
  return out;
}

/**
 * Write `state.safetensors` and `model.safetensors` into `dir`. `config` is any JSON-able description
 * of the run (model, diffusion and training options), stored so that `--resume` can rebuild it.
 */
export function saveCheckpoint(dir: string, model: Module, state: TrainState, config: unknown): void {
  mkdirSync(dir, { recursive: true });
  const tensors: StateDict = new Map();
  for (const [name, p] of state.params) tensors.set(PREFIX.params + name, record(p));
  for (const [name, m] of state.adam.m) tensors.set(PREFIX.m + name, record(m));
  for (const [name, v] of state.adam.v) tensors.set(PREFIX.v + name, record(v));
  for (const [rate, ema] of state.ema) for (const [name, e] of ema) tensors.set(PREFIX.ema(rate) + name, record(e));
  const metadata = {
    format: FORMAT,
    step: String(state.step),
    adamStep: String(state.adam.step),
    emaRates: JSON.stringify(Array.from(state.ema.keys())),
    config: JSON.stringify(config),
    taskState: JSON.stringify(state.taskState ?? null),
    history: JSON.stringify(state.history),
  };
  writeSafetensors(join(dir, STATE_FILE), tensors, metadata);
  const rates = Array.from(state.ema.keys());
  const best = rates.length ? state.ema.get(Math.max(...rates))! : state.params;
  writeSafetensors(join(dir, MODEL_FILE), exportWeights(model, best), {
    format: "pt", step: String(state.step), weights: rates.length ? `ema_${Math.max(...rates)}` : "raw", config: JSON.stringify(config),
  });
}

/** Where EMA snapshots go inside a run's directory. */
export const SNAPSHOT_DIR = "ema-snapshots";

/**
 * Keep the EMA weights of the current step as `dir/ema-snapshots/step-NNNNNN.safetensors`: float16,
 * PyTorch layout under guided-diffusion's key names (about 2 MB for a course model), the metadata of
 * model.safetensors. A run that keeps one every N steps gives FID-against-training-step curves.
 */
export function saveEmaSnapshot(dir: string, model: Module, state: TrainState, config: unknown): string {
  const rates = Array.from(state.ema.keys());
  const best = rates.length ? state.ema.get(Math.max(...rates))! : state.params;
  const half: StateDict = new Map();
  for (const [name, r] of exportWeights(model, best)) {
    const f = r.data as Float32Array;
    half.set(name, { dtype: "float16", shape: r.shape, data: Uint16Array.from(f, floatToHalf) });
  }
  mkdirSync(join(dir, SNAPSHOT_DIR), { recursive: true });
  const file = join(dir, SNAPSHOT_DIR, `step-${String(state.step).padStart(6, "0")}.safetensors`);
  writeSafetensors(file, half, { format: "pt", step: String(state.step), weights: rates.length ? `ema_${Math.max(...rates)}` : "raw", config: JSON.stringify(config) });
  return file;
}

/** What {@link loadCheckpoint} restores besides the tensors. */
export interface RestoredRun {
  config: unknown;
  taskState: unknown;
}

/** True when `dir` holds a training checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE));
}

/** The run configuration stored in a checkpoint, without loading its tensors into a model. */
export function readCheckpointConfig(dir: string): unknown {
  const path = join(dir, STATE_FILE);
  const { metadata } = readSafetensors(path);
  if (metadata.format !== FORMAT) throw new Error(`${path}: not an adm-ts training checkpoint (format ${metadata.format ?? "missing"})`);
  return JSON.parse(metadata.config);
}

/** Load `dir/state.safetensors` into a fresh `state` (made by initTrainState for the same model and EMA rates). */
export function loadCheckpoint(dir: string, state: TrainState): RestoredRun {
  const path = join(dir, STATE_FILE);
  const { tensors, metadata } = readSafetensors(path);
  if (metadata.format !== FORMAT) throw new Error(`${path}: not an adm-ts training checkpoint (format ${metadata.format ?? "missing"})`);
  const savedRates = JSON.parse(metadata.emaRates) as number[];
  const rates = Array.from(state.ema.keys());
  if (savedRates.join() !== rates.join()) {
    throw new Error(`${path}: saved with EMA rates [${savedRates}] but this run uses [${rates}]; pass the same --ema-rate to resume`);
  }
  const assign = (prefix: string, vars: Map<string, tf.Variable>): void => {
    for (const [name, v] of vars) {
      const r = tensors.get(prefix + name);
      if (!r) throw new Error(`${path}: ${prefix}${name} is missing; the checkpoint was written for a different model configuration`);
      if (r.shape.join() !== v.shape.join()) {
        throw new Error(`${path}: ${prefix}${name} has shape [${r.shape}] but the model has [${v.shape}]; the configuration differs`);
      }
      tf.tidy(() => v.assign(tf.tensor(toFloat32(r), r.shape, "float32")));
    }
  };
  assign(PREFIX.params, state.params);
  assign(PREFIX.m, state.adam.m);
  assign(PREFIX.v, state.adam.v);
  for (const [rate, ema] of state.ema) assign(PREFIX.ema(rate), ema);
  state.step = Number(metadata.step);
  state.adam.step = Number(metadata.adamStep);
  state.history = JSON.parse(metadata.history) as StepStats[];
  return { config: JSON.parse(metadata.config), taskState: JSON.parse(metadata.taskState) };
}
