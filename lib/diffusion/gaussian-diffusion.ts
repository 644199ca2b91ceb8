/**
 * The Gaussian diffusion as data: its (possibly respaced) coefficient tables, how its model is
 * called, and the shapes every diffusion function agrees on. `createGaussianDiffusion` is
 * guided-diffusion's create_gaussian_diffusion; `gaussianDiffusion` its GaussianDiffusion /
 * SpacedDiffusion constructor. Every operation is a function of the diffusion (forward.ts,
 * reverse.ts, losses.ts), reading its tables as float32 tensors made once per backend.
 */
import * as tf from "@tensorflow/tfjs";
import { computeDiffusionTables, getNamedBetaSchedule, type BetaScheduleName, type DiffusionTables } from "./schedules";
import { respaceBetas, spaceTimesteps } from "./respace";
import { checkTimesteps as checkBatchTimesteps } from "../nn/module";

/**
 * A denoising network on NHWC images. `t` holds one timestep per batch item: the ORIGINAL
 * (un-respaced) timestep, int32, or float32 when `rescaleTimesteps` maps it onto [0, 1000).
 * With `learnSigma` the output has 2C channels: the mean prediction (eps) first, then the
 * variance interpolation v in [-1, 1]. Samplers also accept a forward that returns a Promise.
 */
export interface DiffusionModel {
  forward(x: tf.Tensor4D, t: tf.Tensor1D, y?: tf.Tensor1D): tf.Tensor4D;
}

/** A classifier trained on noisy images x_t: returns logits [N, numClasses]. */
export interface NoisyClassifier {
  forward(x: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor2D;
}

/** Extra model inputs (guided-diffusion's `model_kwargs`): class labels for conditional models. */
export interface ModelKwargs {
  y?: tf.Tensor1D;
}

/**
 * Gradient of a log-probability w.r.t. x (guided-diffusion's `cond_fn`), shaped like x. It receives
 * the timesteps the model sees (original, possibly rescaled), the model kwargs (labels), and the
 * sampling loop's AbortSignal, which an asynchronous one may honour.
 */
export type CondFn = (x: tf.Tensor4D, t: tf.Tensor1D, modelKwargs: ModelKwargs, opts?: { signal?: AbortSignal }) => tf.Tensor4D | Promise<tf.Tensor4D>;

/** Applied to every x_0 prediction before clipping (guided-diffusion's `denoised_fn`). */
export type DenoisedFn = (predXstart: tf.Tensor4D) => tf.Tensor4D;

/** What the model predicts: x_{t-1}, x_0, or the noise eps. */
export type ModelMeanType = "previous_x" | "start_x" | "epsilon";

/**
 * How the reverse variance is chosen: fixed to the posterior variance (small), fixed to beta
 * (large), learned log-variance, or learned interpolation between the two fixed ones (ADM).
 */
export type ModelVarType = "fixed_small" | "fixed_large" | "learned" | "learned_range";

/** Training objective: eps-MSE (+ vb when the variance is learned) or the variational bound. */
export type LossType = "mse" | "rescaled_mse" | "kl" | "rescaled_kl";

/** The model's parametrisation and the objective (guided-diffusion's constructor arguments). */
export interface DiffusionTypes {
  modelMeanType: ModelMeanType;
  modelVarType: ModelVarType;
  lossType: LossType;
  /** pass float timesteps scaled to [0, 1000) to the model (timestepMap[t] * 1000 / originalNumSteps) */
  rescaleTimesteps: boolean;
}

/** A diffusion over timestep indices 0..numTimesteps-1 of its own (possibly spaced) schedule. */
export interface GaussianDiffusion extends DiffusionTables, DiffusionTypes {
  /** number of (spaced) timesteps T */
  numTimesteps: number;
  /** original timestep of each spaced index; the model and the classifier see these */
  timestepMap: number[];
  /** number of steps of the process this one was respaced from */
  originalNumSteps: number;
}

/** Options of create_gaussian_diffusion, camelCased, with its defaults. */
export interface GaussianDiffusionOptions {
  /** diffusion steps T of the trained process (default 1000) */
  steps?: number;
  /** the model outputs 2C channels, the second half choosing the variance (learned range) */
  learnSigma?: boolean;
  /** with a fixed variance, use the posterior variance beta~_t rather than beta_t */
  sigmaSmall?: boolean;
  noiseSchedule?: BetaScheduleName;
  /** train on the rescaled variational bound alone */
  useKl?: boolean;
  /** the model predicts x_0 rather than eps */
  predictXstart?: boolean;
  /** show the model float timesteps in [0, 1000) */
  rescaleTimesteps?: boolean;
  /** scale the vb term of the hybrid loss by T / 1000 */
  rescaleLearnedSigmas?: boolean;
  /** which timesteps to keep, e.g. "250", "ddim25", "10,10,10"; "" keeps all */
  timestepRespacing?: string;
}

/**
 * The diffusion with `betas` that keeps the original timesteps `useTimesteps` (all by default):
 * guided-diffusion's SpacedDiffusion, whose kept alphasCumprod equal the original ones.
 */
export function gaussianDiffusion(betas: ArrayLike<number>, types: DiffusionTypes, useTimesteps?: number[]): GaussianDiffusion {
  const base = computeDiffusionTables(betas);
  const kept = useTimesteps ?? Array.from(base.betas, (_, i) => i);
  const spaced = respaceBetas(base.alphasCumprod, kept);
  if (spaced.timestepMap.length !== new Set(kept).size) {
    throw new Error(`useTimesteps must lie in 0..${base.betas.length - 1}; got ${kept.join(",")}`);
  }
  return {
    ...computeDiffusionTables(spaced.betas),
    ...types,
    numTimesteps: spaced.betas.length,
    timestepMap: spaced.timestepMap,
    originalNumSteps: base.betas.length,
  };
}

/** A diffusion configured like guided-diffusion's create_gaussian_diffusion. */
export function createGaussianDiffusion(opts: GaussianDiffusionOptions = {}): GaussianDiffusion {
  const steps = opts.steps ?? 1000;
  const respacing = opts.timestepRespacing ?? "";
  return gaussianDiffusion(
    getNamedBetaSchedule(opts.noiseSchedule ?? "linear", steps),
    {
      lossType: opts.useKl ? "rescaled_kl" : opts.rescaleLearnedSigmas ? "rescaled_mse" : "mse",
      modelMeanType: opts.predictXstart ? "start_x" : "epsilon",
      modelVarType: opts.learnSigma ? "learned_range" : opts.sigmaSmall ? "fixed_small" : "fixed_large",
      rescaleTimesteps: opts.rescaleTimesteps ?? false,
    },
    respacing === "" ? undefined : spaceTimesteps(steps, respacing),
  );
}

// respaced diffusions by source and kept list, so that a sampler asked for the same schedule again
// reuses the process and its table tensors instead of making new ones
const respaced = new WeakMap<GaussianDiffusion, Map<string, GaussianDiffusion>>();

/**
 * Keep the timestep indices `kept` (ascending, of `d`'s own indices) of a diffusion: the process a
 * sampler runs when asked for fewer steps. Its model still sees the original timesteps.
 */
export function respace(d: GaussianDiffusion, kept: number[]): GaussianDiffusion {
  if (kept.length === 0 || kept.some((k, i) => !Number.isInteger(k) || k < 0 || k >= d.numTimesteps || (i > 0 && k <= kept[i - 1]))) {
    throw new Error(`timesteps must be ascending distinct integers in 0..${d.numTimesteps - 1}; got [${kept.join(", ")}]`);
  }
  if (kept.length === d.numTimesteps) return d;
  let known = respaced.get(d);
  if (!known) respaced.set(d, (known = new Map()));
  const key = kept.join(",");
  let out = known.get(key);
  if (!out) {
    const spaced = respaceBetas(d.alphasCumprod, kept);
    out = {
      ...computeDiffusionTables(spaced.betas),
      ...types(d),
      numTimesteps: kept.length,
      timestepMap: kept.map((k) => d.timestepMap[k]),
      originalNumSteps: d.originalNumSteps,
    };
    known.set(key, out);
  }
  return out;
}

function types(d: DiffusionTypes): DiffusionTypes {
  return { modelMeanType: d.modelMeanType, modelVarType: d.modelVarType, lossType: d.lossType, rescaleTimesteps: d.rescaleTimesteps };
}

/** Names of the tables a step can read as tensors. */
export type TableName = keyof DiffusionTables;

// float32 copies of each table, one per table array and backend, made on first use and kept
const tableTensors = new WeakMap<Float64Array, Map<string, tf.Tensor1D>>();

function tableTensor(table: Float64Array): tf.Tensor1D {
  let perBackend = tableTensors.get(table);
  if (!perBackend) tableTensors.set(table, (perBackend = new Map()));
  const backend = tf.getBackend();
  let tensor = perBackend.get(backend);
  if (!tensor || tensor.isDisposed) {
    tensor = tf.keep(tf.tensor1d(Float32Array.from(table)));
    perBackend.set(backend, tensor);
  }
  return tensor;
}

/**
 * Free the float32 table tensors `d` has made (they are otherwise kept for the diffusion's life):
 * for code that makes many short-lived diffusions and counts its tensors.
 */
export function releaseTables(d: GaussianDiffusion): void {
  for (const value of Object.values(d)) {
    if (!(value instanceof Float64Array)) continue;
    for (const tensor of tableTensors.get(value)?.values() ?? []) tensor.dispose();
    tableTensors.delete(value);
  }
}

/**
 * table[t] as float32, shaped [N, 1, 1, 1] to broadcast over NHWC images (guided-diffusion's
 * `_extract_into_tensor`), or broadcast to `shape` when given.
 */
export function coef(d: GaussianDiffusion, name: TableName, t: tf.Tensor1D, shape?: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const c = tf.gather(tableTensor(d[name]), t).reshape([-1, 1, 1, 1]) as tf.Tensor4D;
    return shape ? (tf.broadcastTo(c, shape as [number, number, number, number]) as tf.Tensor4D) : c;
  });
}

/** Check that t holds one int32 timestep index of `d` per batch item of x. */
export function checkTimesteps(d: GaussianDiffusion, t: tf.Tensor1D, x: tf.Tensor): void {
  checkBatchTimesteps(t, x.shape[0], "diffusion");
  if (t.dtype !== "int32") throw new Error(`t must be int32 timestep indices in 0..${d.numTimesteps - 1}; got dtype ${t.dtype}`);
}

/** Check that tensor `a` has the shape `b` (`aName` and `bName` name them in the error). */
export function checkShape(a: tf.Tensor, aName: string, b: number[], bName: string): void {
  if (!tf.util.arraysEqual(a.shape, b)) throw new Error(`${aName} shape [${a.shape.join(", ")}] must equal ${bName} shape [${b.join(", ")}]`);
}
