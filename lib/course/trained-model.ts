/**
 * Load a model trained by `adm-ts train` (a directory with model.safetensors, whose metadata holds
 * the run configuration) or any model.safetensors in guided-diffusion key names plus its config.
 */
import { existsSync } from "fs";
import { join } from "path";
import { readSafetensors } from "../io/safetensors";
import type { StateDict } from "../io/tensor-record";
import { loadStateDict } from "../io/state-dict";
import { EncoderUNetModel, UNetModel } from "../models/index";
import type { DiffusionModel, GaussianDiffusionOptions } from "../diffusion/index";
import { MODEL_FILE } from "../train/checkpoint";
import type { CourseModelConfig } from "./model-configs";

/** The run configuration a trained model directory was made with (see scripts/train.ts). */
export interface TrainedRun {
  name: string;
  model: CourseModelConfig;
  [key: string]: unknown;
}

/** What a trained model directory's model.safetensors holds. */
export interface TrainedFile {
  path: string;
  run: TrainedRun;
  step: number;
  /** the EMA weights in PyTorch layout, keyed by guided-diffusion's state_dict names */
  tensors: StateDict;
}

/**
 * Read `dir/model.safetensors` and its run configuration. `flag` names the command-line flag that
 * gave `dir` (e.g. "--init-from"), so that errors say which argument to change.
 */
export function readTrainedFile(dir: string, flag?: string): TrainedFile {
  const given = flag ? `${flag} ` : "";
  const path = join(dir, MODEL_FILE);
  if (!existsSync(path)) throw new Error(`${given}${dir}: no ${MODEL_FILE} there; train one with 'adm-ts train --config NAME --out ${dir}' or check the path`);
  const { tensors, metadata } = readSafetensors(path);
  if (!metadata.config) throw new Error(`${given}${path}: its metadata has no "config"; it was not written by adm-ts train`);
  return { path, run: JSON.parse(metadata.config) as TrainedRun, step: Number(metadata.step ?? 0), tensors };
}

export interface TrainedDiffusionModel {
  /** the network (EMA weights) */
  net: UNetModel;
  /** the network as a DiffusionModel that ignores labels when it is unconditional, so one call
   *  shape serves conditional sampling and classifier guidance of an unconditional model */
  model: DiffusionModel;
  diffusion: GaussianDiffusionOptions;
  classCond: boolean;
  /** the label meaning "no class" for classifier-free guidance, when trained with label dropout */
  nullClass: number | null;
  step: number;
  run: TrainedRun;
}

/** Load a trained diffusion model directory. */
export function loadTrainedDiffusion(dir: string): TrainedDiffusionModel {
  const { path, run, step, tensors } = readTrainedFile(dir);
  if (run.model.kind !== "diffusion") throw new Error(`${path} holds a ${run.model.kind}, not a diffusion model`);
  const net = new UNetModel(run.model.unet);
  loadStateDict(net, tensors, { source: path });
  const classCond = run.model.unet.numClasses != null;
  const model: DiffusionModel = { forward: (x, t, y) => net.forward(x, t, classCond ? y : undefined) };
  const nullClass = classCond && run.model.classDropout > 0 ? (run.model.unet.numClasses as number) - 1 : null;
  return { net, model, diffusion: run.model.diffusion, classCond, nullClass, step, run };
}

export interface TrainedClassifier {
  net: EncoderUNetModel;
  diffusion: GaussianDiffusionOptions;
  noised: boolean;
  step: number;
  run: TrainedRun;
}

/** Load a trained classifier directory (noisy, for guidance, or clean, for features). */
export function loadTrainedClassifier(dir: string): TrainedClassifier {
  const { path, run, step, tensors } = readTrainedFile(dir);
  if (run.model.kind !== "classifier") throw new Error(`${path} holds a ${run.model.kind} model, not a classifier`);
  const net = new EncoderUNetModel(run.model.encoder);
  loadStateDict(net, tensors, { source: path });
  return { net, diffusion: run.model.diffusion, noised: run.model.noised, step, run };
}
