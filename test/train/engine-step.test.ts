/**
 * One training step on the engine (the task's training graph on ONNX Runtime, AdamW/clip/EMA on typed
 * arrays) equals one tfjs step from the same state, batch and noise: the loss within 1e-5 relative,
 * the updated weights and EMA within 1e-5. The state is that of two tfjs steps (non-zero Adam
 * moments), restored from a checkpoint on both sides; dropout and label dropout are on where the
 * configuration has them, drawn from the step's streams on both executors.
 */
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { initBackend } from "../../lib/backend";
import { EncoderUNetModel, UNetModel, type EncoderUNetConfig, type UNetConfig } from "../../lib/models";
import { createGaussianDiffusion, type GaussianDiffusionOptions } from "../../lib/diffusion/gaussian-diffusion";
import { UniformSampler } from "../../lib/diffusion/resample";
import { diffusionTask } from "../../lib/train/diffusion-task";
import { classifierTask } from "../../lib/train/classifier-task";
import { initTrainState, train, type TrainingTask, type TrainOptions, type TrainState } from "../../lib/train/loop";
import { loadCheckpoint, saveCheckpoint } from "../../lib/train/checkpoint";
import { dropoutMasksFrom, streamAt } from "../../lib/train/seed";
import { COURSE_CONFIGS } from "../../lib/course/model-configs";
import type { ImageDataset } from "../../lib/train/dataset";
import { randomizeParams } from "../engine/helpers";
import { readSafetensors } from "../../lib/io/safetensors";

beforeAll(async () => {
  await initBackend("wasm");
});

/** `n` images of `size`x`size`: background -1 with a bright square and a gradient stripe, two or ten classes. */
function toyData(size: number, n = 24, classes = 10): ImageDataset {
  const images = new Float32Array(n * size * size).fill(-1);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    labels[k] = k % classes;
    const at = (k * 5) % (size / 2);
    for (let y = at; y < at + size / 2; y++) for (let x = 0; x < size; x++) images[(k * size + y) * size + x] = x < size / 2 ? 1 : (2 * x) / size - 1;
  }
  return { images, labels, n, shape: [size, size, 1], numClasses: classes, name: "toy" };
}

type Model = UNetModel | EncoderUNetModel;

interface Case {
  model: () => Model;
  task: (model: Model, data: ImageDataset) => TrainingTask;
  data: ImageDataset;
}

const OPTS: Omit<TrainOptions, "steps"> = { lr: { lr: 2e-4, warmup: 2 }, gradClip: 1, emaRates: [0.999], seed: 7, progress: false, threads: 1 };

function fresh(c: Case): { model: Model; task: TrainingTask; state: TrainState } {
  const model = c.model();
  return { model, task: c.task(model, c.data), state: initTrainState(model, OPTS.emaRates) };
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * max |d loss / d p| per parameter at step `step` on tfjs (the step's own batch and dropout masks), to
 * tell the parameters whose gradient is float rounding: a conv bias that a GroupNorm of one channel
 * per group cancels exactly has a true gradient of 0, and AdamW's normalisation turns the rounding
 * of either executor into a move of up to lr in a random direction.
 */
function gradientScales(model: Model, task: TrainingTask, step: number): Map<string, number> {
  const names = Array.from(model.params.keys());
  const vars = names.map((n) => model.params.get(n)!);
  model.training = true;
  model.dropoutMasks = dropoutMasksFrom(streamAt({ seed: OPTS.seed, purpose: "dropout", index: step }));
  const { value, grads } = tf.variableGrads(() => task.lossAt(step, streamAt({ seed: OPTS.seed, purpose: "step", index: step })).loss, vars);
  model.training = false;
  model.dropoutMasks = null;
  const out = new Map<string, number>();
  names.forEach((n, i) => out.set(n, grads[vars[i].name] ? tf.tidy(() => grads[vars[i].name].abs().max().dataSync()[0]) : 0));
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/** Two tfjs steps, a checkpoint; then step 3 on tfjs and on the engine from that checkpoint. */
async function compare(name: string, c: Case, threads = 1): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "engine-step-"));
  const a = fresh(c);
  randomizeParams(a.model, 11);
  await train(a.model, a.task, a.state, { ...OPTS, steps: 2, checkpointEvery: 2, saveCheckpoint: (s) => saveCheckpoint(dir, a.model, s, {}) });
  await train(a.model, a.task, a.state, { ...OPTS, steps: 3 });
  const e = fresh(c);
  loadCheckpoint(dir, e.state);
  const scales = gradientScales(e.model, e.task, 2);
  const largest = Math.max(...scales.values());
  const rounding = Array.from(scales)
    .filter(([, s]) => s > 0 && s < 1e-6 * largest)
    .map(([k]) => k);
  await train(e.model, e.task, e.state, { ...OPTS, steps: 3, engine: "onnx", threads });
  const [ta, te] = [a.state.history[2], e.state.history[2]];
  expect(te.step).toBe(2);
  const lossRel = Math.abs(ta.loss - te.loss) / Math.abs(ta.loss);
  let worst = { name: "", diff: 0 };
  let worstEma = 0;
  let moved = 0;
  for (const [k, v] of a.state.params) {
    if (rounding.includes(k)) continue;
    const pa = v.dataSync() as Float32Array;
    const pe = e.state.params.get(k)!.dataSync() as Float32Array;
    const d = maxAbs(pa, pe);
    if (d > worst.diff) worst = { name: k, diff: d };
    worstEma = Math.max(
      worstEma,
      maxAbs(a.state.ema.get(0.999)!.get(k)!.dataSync() as Float32Array, e.state.ema.get(0.999)!.get(k)!.dataSync() as Float32Array),
    );
    moved = Math.max(moved, maxAbs(pa, loadedParam(dir, k)));
  }
  console.log(
    `${name}: loss tfjs ${ta.loss.toPrecision(8)} engine ${te.loss.toPrecision(8)} (rel ${lossRel.toExponential(2)}); ` +
      `grad norm ${ta.gradNorm.toPrecision(6)} vs ${te.gradNorm.toPrecision(6)}; weights max |diff| ${worst.diff.toExponential(2)} (${worst.name}), EMA ${worstEma.toExponential(2)}; the step moved weights by up to ${moved.toExponential(2)}; ` +
      `${rounding.length} parameters with a gradient at rounding level (< 1e-6 of the largest, ${largest.toExponential(2)}) not compared: ${rounding.join(", ")}`,
  );
  // those move by AdamW's normalised rounding: at most lr (with the bias corrections, a little more) either way
  for (const k of rounding)
    expect(maxAbs(a.state.params.get(k)!.dataSync() as Float32Array, e.state.params.get(k)!.dataSync() as Float32Array)).toBeLessThan(3 * OPTS.lr.lr);
  expect(rounding.length).toBeLessThan(0.1 * a.state.params.size);
  expect(lossRel).toBeLessThan(1e-5);
  for (const k of Object.keys(ta.extras)) expect(Math.abs(ta.extras[k] - te.extras[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(ta.extras[k])));
  expect(Math.abs(ta.gradNorm - te.gradNorm) / ta.gradNorm).toBeLessThan(1e-4);
  expect(moved).toBeGreaterThan(1e-5);
  expect(worst.diff).toBeLessThan(1e-5);
  expect(worstEma).toBeLessThan(1e-5);
  a.model.dispose();
  e.model.dispose();
}

/** A parameter as saved in the checkpoint (the state before the compared step). */
function loadedParam(dir: string, name: string): Float32Array {
  const rec = readSafetensors(join(dir, "state.safetensors")).tensors.get(`params/${name}`)!;
  return rec.data as Float32Array;
}

const diffusionOf = (opts: GaussianDiffusionOptions) => createGaussianDiffusion(opts);

function diffusionCase(unet: UNetConfig, diffusion: GaussianDiffusionOptions, batchSize: number, classDropout: number): Case {
  const d = diffusionOf(diffusion);
  return {
    data: toyData(unet.imageSize),
    model: () => new UNetModel(unet),
    task: (model, data) =>
      diffusionTask({
        diffusion: d,
        model: model as UNetModel,
        data,
        batchSize,
        seed: 3,
        sampler: new UniformSampler(d),
        classCond: unet.numClasses != null,
        classDropout,
      }),
  };
}

function classifierCase(encoder: EncoderUNetConfig, diffusion: GaussianDiffusionOptions | null, batchSize: number): Case {
  const d = diffusion ? diffusionOf(diffusion) : undefined;
  return {
    data: toyData(encoder.imageSize),
    model: () => new EncoderUNetModel(encoder),
    task: (model, data) => classifierTask({ classifier: model as EncoderUNetModel, data, batchSize, seed: 3, diffusion: d }),
  };
}

const tiny = COURSE_CONFIGS["test-tiny"];
const cond = COURSE_CONFIGS["fashion-cond"];
const noisy = COURSE_CONFIGS["fashion-classifier"];
const clean = COURSE_CONFIGS["fashion-features"];

describe("one engine step equals one tfjs step (loss 1e-5 relative, weights and EMA 1e-5)", () => {
  test("tiny UNet, 8x8, with dropout 0.3 and label dropout, hybrid loss at t = 0 and t > 0", () => {
    if (tiny.kind !== "diffusion") throw new Error("test-tiny is a diffusion model");
    return compare("test-tiny", diffusionCase({ ...tiny.unet, imageSize: 8, dropout: 0.3 }, tiny.diffusion, 4, 0.25));
  });
  test("tiny UNet on 2 data-parallel workers (batch 5 split 3 + 2, dropout masks split with it)", () => {
    if (tiny.kind !== "diffusion") throw new Error("test-tiny is a diffusion model");
    return compare("test-tiny, 2 workers", diffusionCase({ ...tiny.unet, imageSize: 8, dropout: 0.3 }, tiny.diffusion, 5, 0.25), 2);
  });
  test("fashion-cond at batch 3", () => {
    if (cond.kind !== "diffusion") throw new Error("fashion-cond is a diffusion model");
    return compare("fashion-cond", diffusionCase(cond.unet, cond.diffusion, 3, cond.classDropout));
  });
  test("noisy classifier (fashion-classifier, attention pool) at batch 3", () => {
    if (noisy.kind !== "classifier") throw new Error("fashion-classifier is a classifier");
    return compare("fashion-classifier", classifierCase(noisy.encoder, noisy.diffusion, 3));
  });
  test("clean classifier (fashion-features: spatial pool, strided convs, dropout 0.1) at batch 3", () => {
    if (clean.kind !== "classifier") throw new Error("fashion-features is a classifier");
    return compare("fashion-features", classifierCase(clean.encoder, null, 3));
  });
});
