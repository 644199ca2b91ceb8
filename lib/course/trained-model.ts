/**
 * Load a model trained by `adm-ts train` (a directory with model.safetensors, whose metadata holds
 * the run configuration) or any model.safetensors in guided-diffusion key names plus its config.
 * Nothing in the file is trusted: the configuration is checked before a network is built from it,
 * and every refusal is an AdmInputError naming the file and the key.
 */
import { existsSync } from "fs";
import { join } from "path";
import { AdmInputError, describe, refuse } from "../io/errors";
import { metadataJson, readSafetensors } from "../io/safetensors";
import type { StateDict } from "../io/tensor-record";
import { loadStateDict } from "../io/state-dict";
import { EncoderUNetModel, UNetModel } from "../models/index";
import { createGaussianDiffusion, type DiffusionModel, type GaussianDiffusionOptions } from "../diffusion/index";
import { MODEL_FILE, checkModelMatchesState } from "../train/checkpoint";
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

const NOT_TRAINED = "give the folder of a model written by 'adm-ts train' (its model.safetensors carries the run's configuration)";
/** More diffusion steps than any published model uses (guided-diffusion's largest is 4000); a file asking for more is refused before its tables are built. */
const MAX_DIFFUSION_STEPS = 100_000;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The run configuration of `path`, checked field by field before anything is built from it. */
function checkRun(path: string, run: unknown): TrainedRun {
  const at = (key: string) => `__metadata__ "config" ${key}`;
  if (!isObject(run) || typeof run.name !== "string" || !isObject(run.model))
    refuse(path, at("(the whole)"), `the configuration is ${describe(run)}, not {name, model}`, NOT_TRAINED);
  const m = run.model as Record<string, unknown>;
  if (m.kind !== "diffusion" && m.kind !== "classifier")
    refuse(path, at("model.kind"), `model.kind is ${describe(m.kind)}, not "diffusion" or "classifier"`, NOT_TRAINED);
  if (!isObject(m.diffusion)) refuse(path, at("model.diffusion"), `model.diffusion is ${describe(m.diffusion)}, not an object`, NOT_TRAINED);
  const steps = (m.diffusion as GaussianDiffusionOptions).steps ?? 1000;
  if (!Number.isInteger(steps) || steps < 2 || steps > MAX_DIFFUSION_STEPS)
    refuse(path, at("model.diffusion.steps"), `${describe(steps)} diffusion steps`, `a diffusion has 2 to ${MAX_DIFFUSION_STEPS} steps; ${NOT_TRAINED}`);
  if (m.kind === "diffusion") {
    if (!isObject(m.unet)) refuse(path, at("model.unet"), `model.unet is ${describe(m.unet)}, not an object`, NOT_TRAINED);
    const p = m.classDropout;
    if (typeof p !== "number" || !(p >= 0 && p < 1))
      refuse(path, at("model.classDropout"), `model.classDropout is ${describe(p)}, not a probability in [0, 1)`, NOT_TRAINED);
  } else {
    if (!isObject(m.encoder)) refuse(path, at("model.encoder"), `model.encoder is ${describe(m.encoder)}, not an object`, NOT_TRAINED);
    if (typeof m.noised !== "boolean") refuse(path, at("model.noised"), `model.noised is ${describe(m.noised)}, not true or false`, NOT_TRAINED);
  }
  return run as TrainedRun;
}

/** `make()`, with a constructor's refusal of a configuration read from `path` reported as the file's fault at `key`. */
function fromConfig<T>(path: string, key: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof AdmInputError) throw e;
    return refuse(path, `__metadata__ "config" ${key}`, (e as Error).message, NOT_TRAINED);
  }
}

/**
 * Read `dir/model.safetensors` and its run configuration. `flag` names the command-line flag that
 * gave `dir` (e.g. "--init-from"), so that errors say which argument to change. A model beside a
 * state.safetensors it was not saved with (an interrupted save) is refused.
 */
export function readTrainedFile(dir: string, flag?: string): TrainedFile {
  const path = join(dir, MODEL_FILE);
  if (!existsSync(path))
    refuse(flag ? `${flag} ${dir}` : dir, MODEL_FILE, `no ${MODEL_FILE} there`, `train one with 'adm-ts train --config NAME --out ${dir}' or check the path`);
  const { tensors, metadata } = readSafetensors(path);
  const run = checkRun(path, metadataJson(path, metadata, "config", NOT_TRAINED));
  const step = metadata.step === undefined ? 0 : Number(metadata.step);
  if (!Number.isSafeInteger(step) || step < 0) refuse(path, '__metadata__ "step"', `step is ${describe(metadata.step)}, not a step count`, NOT_TRAINED);
  checkModelMatchesState(dir, metadata);
  fromConfig(path, "model.diffusion", () => createGaussianDiffusion(run.model.diffusion));
  return { path, run, step, tensors };
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
  /** the labels a sample can ask for (0 .. classes-1, the null class excluded); null when unconditional */
  classes: number | null;
  step: number;
  run: TrainedRun;
  path: string;
}

/** Load a trained diffusion model directory. */
export function loadTrainedDiffusion(dir: string): TrainedDiffusionModel {
  const { path, run, step, tensors } = readTrainedFile(dir);
  if (run.model.kind !== "diffusion")
    refuse(path, '__metadata__ "config" model.kind', `it holds a ${run.model.kind}, not a diffusion model`, "give the folder of a diffusion model");
  const m = run.model;
  const net = fromConfig(path, "model.unet", () => new UNetModel(m.unet));
  loadStateDict(net, tensors, { source: path });
  const numClasses = net.config.numClasses;
  const classCond = numClasses !== null;
  const model: DiffusionModel = { forward: (x, t, y) => net.forward(x, t, classCond ? y : undefined) };
  const nullClass = numClasses !== null && m.classDropout > 0 ? numClasses - 1 : null;
  const classes = numClasses === null ? null : nullClass === null ? numClasses : numClasses - 1;
  return { net, model, diffusion: m.diffusion, classCond, nullClass, classes, step, run, path };
}

export interface TrainedClassifier {
  net: EncoderUNetModel;
  diffusion: GaussianDiffusionOptions;
  noised: boolean;
  step: number;
  run: TrainedRun;
  path: string;
}

/** Load a trained classifier directory (noisy, for guidance, or clean, for features). */
export function loadTrainedClassifier(dir: string): TrainedClassifier {
  const { path, run, step, tensors } = readTrainedFile(dir);
  if (run.model.kind !== "classifier")
    refuse(path, '__metadata__ "config" model.kind', `it holds a ${run.model.kind} model, not a classifier`, "give the folder of a classifier");
  const m = run.model;
  const net = fromConfig(path, "model.encoder", () => new EncoderUNetModel(m.encoder));
  loadStateDict(net, tensors, { source: path });
  return { net, diffusion: m.diffusion, noised: m.noised, step, run, path };
}

/**
 * Refuse a classifier that cannot guide `model`: one trained on clean images, on another diffusion
 * (its steps or noise schedule: a 1000-step classifier reads t = 50 as nearly clean, a 100-step
 * model means half-way), on images of another size or channel count, or on another set of classes.
 * Returns the number of classes a guided sample may ask for.
 */
export function checkGuidance(model: TrainedDiffusionModel, classifier: TrainedClassifier): number {
  const at = '__metadata__ "config"';
  if (!classifier.noised)
    refuse(
      classifier.path,
      `${at} model.noised`,
      "it was trained on clean images",
      "guidance needs a noisy classifier (trained on x_t, e.g. --config fashion-classifier)",
    );
  const fix = `guide with a classifier trained for ${model.path}'s diffusion and images`;
  const [ms, cs] = [model.diffusion.steps ?? 1000, classifier.diffusion.steps ?? 1000];
  if (ms !== cs) refuse(classifier.path, `${at} model.diffusion.steps`, `it was trained on a ${cs}-step diffusion but the model on ${ms} steps`, fix);
  const [mn, cn] = [model.diffusion.noiseSchedule ?? "linear", classifier.diffusion.noiseSchedule ?? "linear"];
  if (mn !== cn)
    refuse(classifier.path, `${at} model.diffusion.noiseSchedule`, `it was trained on the ${cn} noise schedule but the model on the ${mn} one`, fix);
  const [m, c] = [model.net.config, classifier.net.config];
  if (m.imageSize !== c.imageSize || m.inChannels !== c.inChannels) {
    refuse(
      classifier.path,
      `${at} model.encoder.imageSize`,
      `it classifies ${c.imageSize}x${c.imageSize}x${c.inChannels} images but the model makes ${m.imageSize}x${m.imageSize}x${m.inChannels}`,
      fix,
    );
  }
  if (model.classes !== null && model.classes !== c.outChannels) {
    refuse(classifier.path, `${at} model.encoder.outChannels`, `it tells ${c.outChannels} classes but the model is conditioned on ${model.classes}`, fix);
  }
  return c.outChannels;
}
