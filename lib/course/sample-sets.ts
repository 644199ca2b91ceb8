/**
 * Sample sets: many images drawn from a model with fixed settings, kept as files so that metrics
 * (FID, precision, recall) can be computed later without sampling again. One set is an .npz in the
 * layout of ADM's image_sample.py (arr_0: uint8 NHWC images, arr_1: int64 labels); a sweep is a
 * folder of such sets, one per point (a guidance scale, an EMA snapshot), with `sweep.json` saying
 * how each was made. `adm-ts sample` and `adm-ts sweep` both draw and write their images here.
 *   const images = await drawImages({ sampler: ddim, diffusion, model, labels, size: [32, 32, 1], steps: 25, seed: 0 });
 *   const set = readSampleSet("samples/guidance/scale-4.npz");
 *   const sweep = readSweep("samples/guidance");
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import type { CondFn, GaussianDiffusion } from "../diffusion/index";
import { describe, refuse } from "../io/errors";
import { readNpz, stageNpz } from "../io/npz";
import { metadataJson, readSafetensors } from "../io/safetensors";
import { loadStateDict } from "../io/state-dict";
import type { StagedFile } from "../io/write-files";
import { writeFileAtomic } from "../io/write-files";
import type { Uint8Images } from "../metrics/index";
import { sample, type Sampler, type SamplingModel } from "../sampling/index";
import { SNAPSHOT_DIR } from "../train/index";
import type { TrainedDiffusionModel } from "./trained-model";

/** The labels of n images balanced over `classes` (0, 1, ..., classes-1, 0, 1, ...); all 0 when unconditional (null). */
export function balancedLabels(n: number, classes: number | null): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (classes === null ? 0 : i % classes));
}

export interface DrawOptions {
  sampler: Sampler;
  diffusion: GaussianDiffusion;
  model: SamplingModel;
  /** classifier guidance s grad log p(y | x_t), when guided */
  condFn?: CondFn;
  /** one label per image (the class asked of a conditional model or the classifier) */
  labels: Int32Array;
  /** [height, width, channels] of one image */
  size: [number, number, number];
  steps: number;
  eta?: number;
  /** batch b (images b*batch...) draws with seed + b*batch, so a set is the same whatever is resumed or re-run */
  seed: number;
  /** images per sampler call (default 64) */
  batch?: number;
  /** called after every sampling step of every batch */
  onStep?: () => void;
  signal?: AbortSignal;
}

/** Sample `labels.length` images and return them as uint8 NHWC pixels ([-1, 1] -> [0, 255], rounded, as ADM saves them). */
export async function drawImages(opts: DrawOptions): Promise<Uint8Array> {
  const { labels, size, sampler, diffusion, model } = opts;
  const [h, w, c] = size;
  const n = labels.length,
    batch = opts.batch ?? 64;
  const images = new Uint8Array(n * h * w * c);
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const y = tf.tensor1d(labels.subarray(start, start + m), "int32");
    const sampleOpts = { modelKwargs: { y }, condFn: opts.condFn, seed: opts.seed + start, eta: opts.eta, steps: opts.steps, signal: opts.signal };
    let x: tf.Tensor4D;
    try {
      x = await sample(sampler, diffusion, model, [m, h, w, c], { ...sampleOpts, progress: () => opts.onStep?.() });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new Error(`images ${start}-${start + m - 1} of ${n}: ${(e as Error).message}`, { cause: e });
    } finally {
      y.dispose();
    }
    const bytes = tf.tidy(() => x.add(1).mul(127.5).round().clipByValue(0, 255).toInt());
    images.set(Int32Array.from(await bytes.data()), start * h * w * c);
    tf.dispose([x, bytes]);
  }
  return images;
}

/** A sample set as it is on disk: images and the label each was drawn for. */
export interface SampleSet {
  images: Uint8Images;
  labels: Int32Array;
}

/** Stage `set` as an ADM-format .npz at `path` (complete on disk, renamed into place by commit()). */
export function stageSampleSet(path: string, set: SampleSet): StagedFile {
  const shape = set.images.shape;
  if (set.labels.length !== shape[0]) throw new Error(`stageSampleSet ${path}: ${shape[0]} images but ${set.labels.length} labels`);
  return stageNpz(
    path,
    new Map([
      ["arr_0", { dtype: "uint8", shape: [...shape], data: set.images.data }],
      ["arr_1", { dtype: "int64", shape: [shape[0]], data: BigInt64Array.from(set.labels, (v) => BigInt(v)) }],
    ]),
  );
}

const SET_LAYOUT = "write it with adm-ts sample or adm-ts sweep (arr_0 uint8 NHWC images, arr_1 int64 labels)";

/** Read an ADM-format sample .npz (arr_0 uint8 NHWC images; arr_1 labels, all 0 when the file has none). */
export function readSampleSet(path: string): SampleSet {
  if (!existsSync(path)) refuse(path, "the file", "does not exist", SET_LAYOUT);
  const arrays = readNpz(path);
  const x = arrays.get("arr_0");
  if (!x) refuse(path, "array arr_0", `no arr_0; keys are ${[...arrays.keys()].join(", ") || "none"}`, SET_LAYOUT);
  if (x.dtype !== "uint8" || x.shape.length !== 4 || x.shape[0] < 1)
    refuse(path, "array arr_0", `arr_0 is ${x.dtype} [${x.shape}], not uint8 [n, height, width, channels]`, SET_LAYOUT);
  const [n, h, w, c] = x.shape;
  const y = arrays.get("arr_1");
  if (y && (y.shape.length !== 1 || y.shape[0] !== n || !["int64", "int32"].includes(y.dtype)))
    refuse(path, "array arr_1", `arr_1 is ${y.dtype} [${y.shape}], not ${n} integer labels`, SET_LAYOUT);
  const labels = y ? Int32Array.from(y.data as ArrayLike<number | bigint>, Number) : new Int32Array(n);
  return { images: { data: x.data as Uint8Array, shape: [n, h, w, c] }, labels };
}

/** How one point of a sweep was made, besides the sweep's shared settings. */
export interface SweepPoint {
  /** the .npz, relative to the sweep's folder */
  file: string;
  /** classifier guidance scale s (0: unguided) */
  scale?: number;
  /** classifier-free guidance weight w (1: the conditional model itself) */
  cfgScale?: number;
  /** the EMA snapshot sampled, relative to the model's folder */
  snapshot?: string;
  /** the training step of the weights sampled */
  modelStep: number;
  /** "none", "classifier s = 4", "classifier-free w = 2" */
  guidance: string;
  n: number;
  seconds: number;
  /** the engine that ran it */
  engine: string;
  /** the code version that made it (git commit, "+dirty" with uncommitted changes) */
  code: string;
  /** when it was finished (ISO 8601) */
  finished: string;
  /** its FID, precision and recall against the Fashion-MNIST test set (adm-ts sweep --metrics) */
  metrics?: PointMetrics;
}

/** A point's metrics as sweep.json keeps them. */
export interface PointMetrics {
  fid: number;
  precision: number;
  recall: number;
  /** the reference: how many test images */
  referenceN: number;
  /** the feature network and its training step */
  features: string;
}

/** Everything that decides a sweep's images besides the point: a point is reused only when these are equal. */
export interface SweepSettings {
  model: string;
  /** the step of DIR/model.safetensors (a snapshot sweep's points each have their own) */
  modelStep: number;
  classifier: string | null;
  classifierStep: number | null;
  /** what the points vary: classifier scale, classifier-free weight, EMA snapshot, or a single point */
  over: "scale" | "cfg-scale" | "snapshot" | "none";
  sampler: string;
  steps: number;
  eta: number | null;
  n: number;
  seed: number;
  batch: number;
  /** how labels were chosen */
  labels: string;
}

export interface Sweep {
  command: string;
  settings: SweepSettings;
  points: SweepPoint[];
}

export const SWEEP_FILE = "sweep.json";

/** The sweep in `dir`, or undefined when there is none yet. */
export function readSweep(dir: string): Sweep | undefined {
  const path = join(dir, SWEEP_FILE);
  if (!existsSync(path)) return undefined;
  let sweep: unknown;
  try {
    sweep = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return refuse(path, "the file", `is not JSON (${(e as Error).message})`, "remove it (the .npz files beside it are kept) or restore it");
  }
  const s = sweep as Partial<Sweep>;
  if (typeof s !== "object" || s === null || typeof s.settings !== "object" || !Array.isArray(s.points))
    refuse(path, "the file", `holds ${describe(sweep)}, not {command, settings, points}`, "write it with adm-ts sweep");
  return s as Sweep;
}

/** Write `sweep` to `dir/sweep.json` atomically (a killed run leaves the previous one). */
export function writeSweep(dir: string, sweep: Sweep): void {
  writeFileAtomic(join(dir, SWEEP_FILE), JSON.stringify(sweep, null, 2) + "\n");
}

/** The settings that differ between two sweeps, as "key: a vs b" phrases (none: the same sweep). */
export function settingsDiffer(a: SweepSettings, b: SweepSettings): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])] as (keyof SweepSettings)[];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`);
}

/** Each point of `dir`'s sweep with its images and labels, in the order of sweep.json. */
export function readSweepSets(dir: string): (SweepPoint & SampleSet)[] {
  const sweep = readSweep(dir);
  if (!sweep) return refuse(dir, SWEEP_FILE, "no sweep.json there", "give a folder written by adm-ts sweep");
  return sweep.points.map((p) => ({ ...p, ...readSampleSet(join(dir, p.file)) }));
}

/** The EMA snapshots `adm-ts train --ema-snapshot-every` kept in `dir/ema-snapshots`, as paths relative to `dir`, oldest first. */
export function listEmaSnapshots(dir: string): string[] {
  const folder = join(dir, SNAPSHOT_DIR);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => /^step-\d+\.safetensors$/.test(name))
    .sort()
    .map((name) => join(SNAPSHOT_DIR, name));
}

/**
 * Load the EMA snapshot `file` (float16, guided-diffusion names) into `trained`'s network in place of
 * its weights; refused unless it was saved by a run of the same model configuration. Returns its step.
 */
export function loadEmaSnapshot(trained: TrainedDiffusionModel, file: string): number {
  const fix = `give a snapshot written by 'adm-ts train --ema-snapshot-every' for the model in ${trained.path}`;
  const { tensors, metadata } = readSafetensors(file);
  const run = metadataJson(file, metadata, "config", fix) as { model?: unknown };
  if (JSON.stringify(run?.model) !== JSON.stringify(trained.run.model))
    refuse(file, '__metadata__ "config" model', "it was saved by a run of another model configuration", fix);
  const step = Number(metadata.step);
  if (!Number.isSafeInteger(step) || step < 0) refuse(file, '__metadata__ "step"', `step is ${describe(metadata.step)}, not a step count`, fix);
  loadStateDict(trained.net, tensors, { source: file });
  return step;
}
