import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, existsSync, statSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { initBackend } from "../../lib/backend";
import { UNetModel } from "../../lib/models/unet";
import { createGaussianDiffusion } from "../../lib/diffusion/gaussian-diffusion";
import { UniformSampler } from "../../lib/diffusion/resample";
import { diffusionTask } from "../../lib/train/diffusion-task";
import { initTrainState, train, NonFiniteLossError, type TrainOptions } from "../../lib/train/loop";
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from "../../lib/train/checkpoint";
import { COURSE_CONFIGS, type DiffusionModelConfig } from "../../lib/course/model-configs";
import type { ImageDataset } from "../../lib/train/dataset";
import { seedInitialWeights } from "../../lib/train/init";

const cfg = COURSE_CONFIGS["test-tiny"] as DiffusionModelConfig;
/** with dropout, so that the resume tests also check dropout's masks repeat */
const small = { ...cfg.unet, imageSize: 8, dropout: 0.2 };

/** 32 images 8x8: two classes, a bright left half or a bright top half, in [-1, 1]. */
function toyData(): ImageDataset {
  const n = 32,
    images = new Float32Array(n * 64).fill(-1),
    labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    labels[k] = k % 2;
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) if ((k % 2 ? y : x) < 4) images[k * 64 + y * 8 + x] = 1;
  }
  return { images, labels, n, shape: [8, 8, 1], numClasses: 2, name: "toy" };
}

function setup(seed: number) {
  tf.setBackend("wasm");
  const model = new UNetModel({ ...small, numClasses: 3 });
  seedInitialWeights(model, seed);
  const diffusion = createGaussianDiffusion(cfg.diffusion);
  const task = diffusionTask({
    diffusion,
    model,
    data: toyData(),
    batchSize: 8,
    seed,
    sampler: new UniformSampler(diffusion),
    classCond: true,
    classDropout: 0.2,
  });
  return { model, task, state: initTrainState(model, [0.99]) };
}

beforeAll(async () => {
  await initBackend("wasm");
});

describe("training loop", () => {
  it("lowers the hybrid loss of a small ADM UNet on toy images", async () => {
    const { model, task, state } = setup(1);
    await train(model, task, state, { steps: 60, lr: { lr: 2e-3, warmup: 5 }, gradClip: 1, emaRates: [0.99], seed: 1, progress: false });
    const first = state.history.slice(0, 10).reduce((a, s) => a + s.loss, 0) / 10;
    const last = state.history.slice(-10).reduce((a, s) => a + s.loss, 0) / 10;
    expect(last).toBeLessThan(0.7 * first);
    expect(state.history[0].extras.mse).toBeGreaterThan(0);
    model.dispose();
  });

  for (const engine of ["tfjs", "onnx"] as const) {
    it(`resumes from a checkpoint with exactly the losses of an uninterrupted run, dropout included (${engine})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "ckpt-"));
      const opts = { lr: { lr: 1e-3 }, emaRates: [0.99], seed: 5, progress: false as const, engine, threads: 1 };
      const a = setup(5);
      await train(a.model, a.task, a.state, { ...opts, steps: 6 });
      const straight = a.state.history.map((s) => s.loss);

      const b = setup(5);
      await train(b.model, b.task, b.state, {
        ...opts,
        steps: 3,
        checkpointEvery: 3,
        saveCheckpoint: (s) => saveCheckpoint(dir, b.model, s, { note: "test" }),
      });
      const c = setup(5); // a fresh process's view: new weights, then the checkpoint
      const restored = loadCheckpoint(dir, c.state);
      expect(restored.config).toEqual({ note: "test" });
      expect(c.state.step).toBe(3);
      await train(c.model, c.task, c.state, { ...opts, steps: 6 });
      expect(c.state.history.map((s) => s.loss)).toEqual(straight);
      for (const name of ["out.2.weight", "input_blocks.1.0.out_layers.3.weight"]) {
        expect(Array.from(c.model.params.get(name)!.dataSync())).toEqual(Array.from(a.model.params.get(name)!.dataSync()));
        expect(Array.from(c.state.ema.get(0.99)!.get(name)!.dataSync())).toEqual(Array.from(a.state.ema.get(0.99)!.get(name)!.dataSync()));
      }
      for (const x of [a, b, c]) x.model.dispose();
    });
  }

  it("dropout takes part: a run without it has other losses", async () => {
    const a = setup(5);
    await train(a.model, a.task, a.state, { steps: 4, lr: { lr: 1e-3 }, seed: 5, progress: false });
    const model = new UNetModel({ ...small, dropout: 0, numClasses: 3 });
    seedInitialWeights(model, 5);
    const diffusion = createGaussianDiffusion(cfg.diffusion);
    const task = diffusionTask({
      diffusion,
      model,
      data: toyData(),
      batchSize: 8,
      seed: 5,
      sampler: new UniformSampler(diffusion),
      classCond: true,
      classDropout: 0.2,
    });
    const state = initTrainState(model);
    await train(model, task, state, { steps: 4, lr: { lr: 1e-3 }, seed: 5, progress: false });
    // dropout feeds out_layers.3, zero at initialisation, which the zero output conv keeps from
    // learning at step 0: the runs agree at first, and part from step 2
    expect(state.history[0].loss).toBeCloseTo(a.state.history[0].loss, 6);
    expect(state.history[3].loss).not.toBeCloseTo(a.state.history[3].loss, 6);
    a.model.dispose();
    model.dispose();
  });

  for (const engine of ["tfjs", "onnx"] as const) {
    it(`an AbortSignal stops it at the end of the step under way and saves a checkpoint there (${engine})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "abort-"));
      const { model, task, state } = setup(4);
      const interrupt = new AbortController();
      let stepsSeen = 0;
      const run = train(model, task, state, {
        steps: 50,
        lr: { lr: 1e-3 },
        emaRates: [0.99],
        seed: 4,
        progress: false,
        engine,
        threads: 1,
        signal: interrupt.signal,
        checkpointEvery: 1000,
        saveCheckpoint: (s) => saveCheckpoint(dir, model, s, {}),
        onStep: (s) => {
          stepsSeen++;
          // the engine leaves the event loop free during a step: interrupt from a timer, as a kernel would
          if (s.step === 1) {
            if (engine === "onnx") setTimeout(() => interrupt.abort(new Error("interrupted")), 5);
            else interrupt.abort(new Error("interrupted"));
          }
        },
      });
      await expect(run).rejects.toThrow("interrupted");
      const stoppedAt = state.step;
      expect(stoppedAt).toBeGreaterThanOrEqual(2);
      expect(stoppedAt).toBeLessThanOrEqual(3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(state.step).toBe(stoppedAt); // nothing runs on after the rejection
      expect(stepsSeen).toBe(stoppedAt);
      expect(hasCheckpoint(dir)).toBe(true);
      const fresh = setup(4);
      loadCheckpoint(dir, fresh.state);
      expect(fresh.state.step).toBe(stoppedAt);
      expect(Array.from(fresh.model.params.get("out.2.weight")!.dataSync())).toEqual(Array.from(model.params.get("out.2.weight")!.dataSync()));
      // an already aborted signal starts nothing
      await expect(train(model, task, state, { steps: 60, lr: { lr: 1e-3 }, seed: 4, progress: false, engine, signal: interrupt.signal })).rejects.toThrow(
        "interrupted",
      );
      expect(state.step).toBe(stoppedAt);
      model.dispose();
      fresh.model.dispose();
    });
  }

  it("stops on a non-finite loss without touching the weights or the last checkpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nan-"));
    const { model, task, state } = setup(2);
    await train(model, task, state, {
      steps: 2,
      lr: { lr: 1e-3 },
      seed: 2,
      progress: false,
      checkpointEvery: 2,
      saveCheckpoint: (s) => saveCheckpoint(dir, model, s, {}),
    });
    const saved = statSync(join(dir, "state.safetensors")).mtimeMs;
    const before = Array.from(model.params.get("input_blocks.0.0.weight")!.dataSync());
    model.params.get("out.2.bias")!.assign(tf.fill([2], NaN));
    await expect(
      train(model, task, state, {
        steps: 4,
        lr: { lr: 1e-3 },
        seed: 2,
        progress: false,
        checkpointEvery: 1,
        saveCheckpoint: (s) => saveCheckpoint(dir, model, s, {}),
      }),
    ).rejects.toThrow(NonFiniteLossError);
    expect(Array.from(model.params.get("input_blocks.0.0.weight")!.dataSync())).toEqual(before);
    expect(statSync(join(dir, "state.safetensors")).mtimeMs).toBe(saved);
    expect(existsSync(join(dir, "model.safetensors"))).toBe(true);
    model.dispose();
  });

  it("holds a constant number of tensors from step to step", async () => {
    const { model, task, state } = setup(3);
    await train(model, task, state, { steps: 2, lr: { lr: 1e-3 }, emaRates: [0.99], seed: 3, progress: false });
    const after2 = tf.memory().numTensors;
    await train(model, task, state, { steps: 5, lr: { lr: 1e-3 }, emaRates: [0.99], seed: 3, progress: false });
    expect(tf.memory().numTensors).toBe(after2);
    model.dispose();
  });

  it("refuses options no run can use before any step: gradient ascent, EMA rates outside [0, 1), negative counts", async () => {
    const { model, task, state } = setup(4);
    const before = Array.from(model.params.get("out.2.bias")!.dataSync());
    const base: TrainOptions = { steps: 2, lr: { lr: 1e-3 }, seed: 4, progress: false };
    const cases: [Partial<TrainOptions>, RegExp][] = [
      [{ gradClip: -1 }, /train: gradClip = -1 must be a norm > 0/],
      [{ emaRates: [5] }, /train: emaRates = 5 must be a rate in \[0, 1\)/],
      [{ lr: { lr: 1e-3, warmup: -10 } }, /train: lr.warmup = -10 must be a non-negative integer/],
      [{ checkpointEvery: -1 }, /train: checkpointEvery = -1 must be a non-negative integer/],
      [{ seed: 1.5 }, /train: seed = 1.5 must be an integer/],
      [{ steps: -5 }, /train: steps = -5 must be a non-negative integer/],
      [{ lr: { lr: -1e-3 } }, /train: lr.lr = -0.001 must be a finite number > 0/],
      [{ adam: { weightDecay: NaN } }, /train: adam.weightDecay = NaN must be a finite number >= 0/],
    ];
    for (const [opts, message] of cases) await expect(train(model, task, state, { ...base, ...opts })).rejects.toThrow(message);
    expect(state.step).toBe(0);
    expect(Array.from(model.params.get("out.2.bias")!.dataSync())).toEqual(before);
    model.dispose();
  });

  it("stops on a finite loss whose gradient is not finite, before the update reaches the weights", async () => {
    // loss = sqrt(p) at p = 0 is 0, its gradient 1 / (2 sqrt(p)) is Infinity
    const p = tf.variable(tf.zeros([1]), true, "p");
    const params = new Map([["p", p]]);
    const net = { params, training: false };
    const state = initTrainState(net, [0.9]);
    const task = { lossAt: () => ({ loss: tf.sqrt(p).sum() as tf.Scalar }) };
    await expect(train(net, task, state, { steps: 3, lr: { lr: 1e-2 }, gradClip: 1, emaRates: [0.9], seed: 0, progress: false })).rejects.toThrow(
      /training stopped at step 0: the loss is 0 but its gradient norm is Infinity\. The weights were not updated/,
    );
    expect(p.dataSync()[0]).toBe(0);
    expect(state.ema.get(0.9)!.get("p")!.dataSync()[0]).toBe(0);
    expect(state.step).toBe(0);
  });
});
