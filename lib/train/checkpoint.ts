/**
 * Training checkpoints: two files in one folder, written as a pair.
 * - `state.safetensors` holds everything needed to resume exactly: the weights, the Adam moments and
 *   the EMA copies (our layout, float32), and in its metadata the step, the run's configuration,
 *   the task's state and the loss history.
 * - `model.safetensors` holds the EMA weights in PyTorch layout under guided-diffusion's key names:
 *   the file to sample from, which PyTorch can load too.
 * Both are staged (temporary file, fsync) before either is renamed into place; the model is renamed
 * first and the state last, so the state's rename is the commit point. Each save has an id, stored
 * in the model as `saveId` and in the state as `modelSaveId`: a process killed between the two
 * renames leaves a newer model beside a state that names the previous one, which loaders refuse
 * and a resumed run repairs by rewriting the model from the state ({@link restoreModelFile}).
 */
import * as tf from "@tensorflow/tfjs";
import { randomBytes } from "crypto";
import { existsSync } from "fs";
import { join } from "path";
import { describe, isCount, refuse } from "../io/errors";
import { metadataJson, readSafetensors, readSafetensorsMetadata, stageSafetensors, writeSafetensors } from "../io/safetensors";
import { toTorchLayout } from "../io/torch-layout";
import type { StateDict, TensorRecord } from "../io/tensor-record";
import { floatToHalf, toFloat32 } from "../io/tensor-record";
import { commitInOrder, ensureDir, stageAll } from "../io/write-files";
import type { Module } from "../nn/index";
import type { StepStats, TrainState } from "./loop";

export const STATE_FILE = "state.safetensors";
export const MODEL_FILE = "model.safetensors";
const FORMAT = "adm-ts-train-state-1";
const NOT_OURS = "resume only from a folder written by adm-ts train (or start a new run in another --out)";

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

/** The weights model.safetensors holds: the EMA of the highest rate, or the raw weights without one. */
function sampledWeights(state: TrainState): { weights: Map<string, tf.Variable>; label: string } {
  const rates = Array.from(state.ema.keys());
  if (!rates.length) return { weights: state.params, label: "raw" };
  const rate = Math.max(...rates);
  return { weights: state.ema.get(rate)!, label: `ema_${rate}` };
}

function stageModel(dir: string, model: Module, state: TrainState, config: unknown, saveId: string) {
  const { weights, label } = sampledWeights(state);
  return stageSafetensors(join(dir, MODEL_FILE), exportWeights(model, weights), {
    format: "pt",
    step: String(state.step),
    weights: label,
    config: JSON.stringify(config),
    saveId,
  });
}

/**
 * Write `state.safetensors` and `model.safetensors` into `dir` as one checkpoint (see the top of
 * this file). `config` is any JSON-able description of the run (model, diffusion and training
 * options), stored so that `--resume` can rebuild it.
 */
export function saveCheckpoint(dir: string, model: Module, state: TrainState, config: unknown): void {
  ensureDir(dir);
  const tensors: StateDict = new Map();
  for (const [name, p] of state.params) tensors.set(PREFIX.params + name, record(p));
  for (const [name, m] of state.adam.m) tensors.set(PREFIX.m + name, record(m));
  for (const [name, v] of state.adam.v) tensors.set(PREFIX.v + name, record(v));
  for (const [rate, ema] of state.ema) for (const [name, e] of ema) tensors.set(PREFIX.ema(rate) + name, record(e));
  const saveId = `${state.step}-${randomBytes(6).toString("hex")}`;
  const metadata = {
    format: FORMAT,
    step: String(state.step),
    adamStep: String(state.adam.step),
    emaRates: JSON.stringify(Array.from(state.ema.keys())),
    config: JSON.stringify(config),
    taskState: JSON.stringify(state.taskState ?? null),
    history: JSON.stringify(state.history),
    modelSaveId: saveId,
  };
  const [modelFile, stateFile] = stageAll([
    () => stageModel(dir, model, state, config, saveId),
    () => stageSafetensors(join(dir, STATE_FILE), tensors, metadata),
  ]);
  // the state's rename, last, is the commit point: from then on the checkpoint is the new step
  commitInOrder([modelFile, stateFile]);
}

/** What a checkpoint's metadata says, checked. */
export interface CheckpointInfo {
  path: string;
  step: number;
  adamStep: number;
  emaRates: number[];
  config: unknown;
  taskState: unknown;
  history: StepStats[];
  /** the saveId of the model.safetensors written with this state (absent in checkpoints made before it was recorded) */
  modelSaveId?: string;
}

function count(path: string, metadata: Record<string, string>, key: string): number {
  const v = Number(metadata[key]);
  if (metadata[key] === undefined || !/^\d+$/.test(metadata[key]) || !isCount(v)) {
    refuse(path, `__metadata__ ${JSON.stringify(key)}`, `${key} is ${describe(metadata[key] ?? null)}, not a step count`, NOT_OURS);
  }
  return v;
}

function checkHistory(path: string, history: unknown): StepStats[] {
  const at = '__metadata__ "history"';
  if (!Array.isArray(history)) refuse(path, at, `the history is ${describe(history)}, not a list of steps`, NOT_OURS);
  history.forEach((h, i) => {
    const row = h as Record<string, unknown> | null;
    const numbers = row !== null && typeof row === "object" && ["step", "loss", "lr", "gradNorm", "seconds"].every((k) => typeof row[k] === "number");
    if (!numbers || typeof row.extras !== "object" || row.extras === null || Object.values(row.extras).some((v) => typeof v !== "number")) {
      refuse(path, `${at} [${i}]`, `history entry ${i} is ${describe(h)}, not {step, loss, lr, gradNorm, seconds, extras}`, NOT_OURS);
    }
  });
  return history as StepStats[];
}

/** The checked metadata of the state file `path`. */
function checkpointInfo(path: string, metadata: Record<string, string>): CheckpointInfo {
  if (metadata.format !== FORMAT)
    refuse(path, '__metadata__ "format"', `not an adm-ts training checkpoint (format ${describe(metadata.format ?? null)})`, NOT_OURS);
  const emaRates = metadataJson(path, metadata, "emaRates", NOT_OURS);
  if (!Array.isArray(emaRates) || !emaRates.every((r) => typeof r === "number" && r >= 0 && r < 1)) {
    refuse(path, '__metadata__ "emaRates"', `emaRates is ${describe(emaRates)}, not a list of rates in [0, 1)`, NOT_OURS);
  }
  return {
    path,
    step: count(path, metadata, "step"),
    adamStep: count(path, metadata, "adamStep"),
    emaRates: emaRates as number[],
    config: metadataJson(path, metadata, "config", NOT_OURS),
    taskState: metadataJson(path, metadata, "taskState", NOT_OURS),
    history: checkHistory(path, metadataJson(path, metadata, "history", NOT_OURS)),
    modelSaveId: metadata.modelSaveId,
  };
}

/** True when `dir` holds a training checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE));
}

/** The metadata of `dir`'s checkpoint (step, configuration, history...), without reading its tensors. */
export function readCheckpointInfo(dir: string): CheckpointInfo {
  const path = join(dir, STATE_FILE);
  return checkpointInfo(path, readSafetensorsMetadata(path));
}

/** The run configuration stored in a checkpoint, without loading its tensors into a model. */
export function readCheckpointConfig(dir: string): unknown {
  return readCheckpointInfo(dir).config;
}

/** Where EMA snapshots go inside a run's directory. */
export const SNAPSHOT_DIR = "ema-snapshots";

/**
 * Keep the EMA weights of the current step as `dir/ema-snapshots/step-NNNNNN.safetensors`: float16,
 * PyTorch layout under guided-diffusion's key names (about 2 MB for a course model), the metadata of
 * model.safetensors. A run that keeps one every N steps gives FID-against-training-step curves.
 */
export function saveEmaSnapshot(dir: string, model: Module, state: TrainState, config: unknown): string {
  const { weights, label } = sampledWeights(state);
  const half: StateDict = new Map();
  for (const [name, r] of exportWeights(model, weights)) {
    const f = r.data as Float32Array;
    half.set(name, { dtype: "float16", shape: r.shape, data: Uint16Array.from(f, floatToHalf) });
  }
  ensureDir(join(dir, SNAPSHOT_DIR));
  const file = join(dir, SNAPSHOT_DIR, `step-${String(state.step).padStart(6, "0")}.safetensors`);
  writeSafetensors(file, half, { format: "pt", step: String(state.step), weights: label, config: JSON.stringify(config) });
  return file;
}

/** What {@link loadCheckpoint} restores besides the tensors. */
export interface RestoredRun {
  config: unknown;
  taskState: unknown;
}

/** Load `dir/state.safetensors` into a fresh `state` (made by initTrainState for the same model and EMA rates). */
export function loadCheckpoint(dir: string, state: TrainState): RestoredRun {
  const path = join(dir, STATE_FILE);
  const { tensors, metadata } = readSafetensors(path);
  const info = checkpointInfo(path, metadata);
  const rates = Array.from(state.ema.keys());
  if (info.emaRates.join() !== rates.join()) {
    refuse(path, '__metadata__ "emaRates"', `saved with EMA rates [${info.emaRates}] but this run uses [${rates}]`, "pass the same --ema-rate to resume");
  }
  const values = new Map<tf.Variable, Float32Array>();
  const check = (prefix: string, vars: Map<string, tf.Variable>): void => {
    for (const [name, v] of vars) {
      const at = `tensor ${JSON.stringify(prefix + name)}`;
      const r = tensors.get(prefix + name);
      if (!r) refuse(path, at, "missing", "the checkpoint was written for a different model configuration: resume with the --config it was trained with");
      if (r.shape.join() !== v.shape.join())
        refuse(path, at, `shape [${r.shape}] but the model has [${v.shape}]`, "the configuration differs: resume with the --config it was trained with");
      const data = toFloat32(r);
      const bad = data.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) refuse(path, at, `value ${bad} is ${data[bad]}`, "the checkpoint is corrupt: resume from a copy or start a new run");
      values.set(v, data);
    }
  };
  check(PREFIX.params, state.params);
  check(PREFIX.m, state.adam.m);
  check(PREFIX.v, state.adam.v);
  for (const [rate, ema] of state.ema) check(PREFIX.ema(rate), ema);
  // everything was checked before anything is assigned: a refused checkpoint leaves `state` as it was
  for (const [v, data] of values) tf.tidy(() => v.assign(tf.tensor(data, v.shape, "float32")));
  state.step = info.step;
  state.adam.step = info.adamStep;
  state.history = info.history;
  return { config: info.config, taskState: info.taskState };
}

/**
 * Refuse `dir`'s model.safetensors (its metadata `modelMetadata`) unless it is the model its
 * state.safetensors was saved with; a model with no state beside it passes.
 */
export function checkModelMatchesState(dir: string, modelMetadata: Record<string, string>): void {
  if (!hasCheckpoint(dir)) return;
  const state = readCheckpointInfo(dir);
  const same =
    state.modelSaveId !== undefined && modelMetadata.saveId !== undefined
      ? state.modelSaveId === modelMetadata.saveId
      : String(state.step) === modelMetadata.step;
  if (same) return;
  refuse(
    join(dir, MODEL_FILE),
    '__metadata__ "saveId"',
    `this model is from step ${modelMetadata.step ?? "?"} but ${STATE_FILE} beside it, the checkpoint's commit point, is at step ${state.step}: a save was interrupted between the two files`,
    `run 'adm-ts train --out ${dir} --resume --steps ${state.step}' to rewrite ${MODEL_FILE} from the checkpoint`,
  );
}

/**
 * After {@link loadCheckpoint}: rewrite `dir/model.safetensors` from `state` when it is missing or
 * is not the model the state was saved with (a save interrupted between its two renames). Returns
 * true when it rewrote the file.
 */
export function restoreModelFile(dir: string, model: Module, state: TrainState): boolean {
  const info = readCheckpointInfo(dir);
  const path = join(dir, MODEL_FILE);
  try {
    checkModelMatchesState(dir, readSafetensorsMetadata(path));
    return false;
  } catch {
    // missing, unreadable, or from another save: rewritten from the state
  }
  stageModel(dir, model, state, info.config, info.modelSaveId ?? `${info.step}-restored`).commit();
  return true;
}
