/**
 * Sample sets on disk: the ADM .npz layout (written, read back, refused when it is not one), the
 * batched draw's pixels against the sampler's own output, sweep.json and its settings comparison,
 * and EMA snapshots loaded into a model (the float16 values exactly; another model's refused).
 */
import * as tf from "@tensorflow/tfjs";
import { mkdirSync, mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { initBackend } from "../../lib/backend";
import {
  balancedLabels,
  drawImages,
  listEmaSnapshots,
  loadEmaSnapshot,
  readSampleSet,
  readSweep,
  settingsDiffer,
  stageSampleSet,
  writeSweep,
  type SweepSettings,
} from "../../lib/course/sample-sets";
import { loadTrainedDiffusion } from "../../lib/course/trained-model";
import { createGaussianDiffusion } from "../../lib/diffusion/gaussian-diffusion";
import { halfToFloat } from "../../lib/io/tensor-record";
import { writeNpz } from "../../lib/io/npz";
import { readSafetensors, writeSafetensors } from "../../lib/io/safetensors";
import { sample } from "../../lib/sampling/loop";
import { ddim } from "../../lib/sampling/samplers";
import type { SamplingModel } from "../../lib/sampling/loop";

const COND = resolve(__dirname, "../../models/fashion-cond");
const dir = mkdtempSync(join(tmpdir(), "sample-sets-"));

beforeAll(async () => {
  await initBackend("wasm");
});

describe("sample sets", () => {
  it("balances labels over the classes, and gives 0 to an unconditional model's images", () => {
    expect(Array.from(balancedLabels(12, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(Array.from(balancedLabels(3, null))).toEqual([0, 0, 0]);
  });

  it("writes the ADM layout (arr_0 uint8 NHWC, arr_1 int64) and reads it back", () => {
    const path = join(dir, "set.npz");
    const data = Uint8Array.from({ length: 3 * 4 * 4 }, (_, i) => i * 5);
    stageSampleSet(path, { images: { data, shape: [3, 4, 4, 1] }, labels: Int32Array.from([7, 0, 9]) }).commit();
    const back = readSampleSet(path);
    expect(back.images.shape).toEqual([3, 4, 4, 1]);
    expect(Array.from(back.images.data)).toEqual(Array.from(data));
    expect(Array.from(back.labels)).toEqual([7, 0, 9]);
    expect(() => stageSampleSet(path, { images: { data, shape: [3, 4, 4, 1] }, labels: new Int32Array(2) })).toThrow(/3 images but 2 labels/);
  });

  it("refuses files that are not sample sets, naming the file and the array", () => {
    const floats = join(dir, "floats.npz");
    writeNpz(floats, { arr_0: { dtype: "float32", shape: [1, 2, 2, 1], data: new Float32Array(4) } });
    expect(() => readSampleSet(floats)).toThrow(/floats.npz.*arr_0 is float32 \[1,2,2,1\], not uint8/s);
    const labels = join(dir, "labels.npz");
    writeNpz(labels, {
      arr_0: { dtype: "uint8", shape: [2, 2, 2, 1], data: new Uint8Array(8) },
      arr_1: { dtype: "int64", shape: [3], data: new BigInt64Array(3) },
    });
    expect(() => readSampleSet(labels)).toThrow(/arr_1 is int64 \[3\], not 2 integer labels/);
    expect(() => readSampleSet(join(dir, "missing.npz"))).toThrow(/missing.npz.*does not exist/s);
  });

  it("draws the sampler's own images, rounded to bytes as ADM saves them, batch b seeded with seed + b * batch", async () => {
    const seen: number[][] = [];
    // a stand-in network: eps = 0.1 x, and it records the labels it is given
    const model: SamplingModel = {
      forward: (x, _t, y) => {
        seen.push(Array.from(y!.dataSync()));
        return tf.tidy(() => tf.concat([x.mul(0.1), tf.zerosLike(x)], 3) as tf.Tensor4D);
      },
    };
    const diffusion = createGaussianDiffusion({ steps: 100, noiseSchedule: "cosine", learnSigma: true });
    const labels = Int32Array.from([3, 1, 4, 1, 5]);
    const got = await drawImages({ sampler: ddim, diffusion, model, labels, size: [4, 4, 1], steps: 3, seed: 11, batch: 3 });
    expect(seen[0]).toEqual([3, 1, 4]);
    expect(seen[seen.length - 1]).toEqual([1, 5]);
    const want: number[] = [];
    for (const [start, m] of [
      [0, 3],
      [3, 2],
    ]) {
      const x = await sample(ddim, diffusion, model, [m, 4, 4, 1], {
        steps: 3,
        seed: 11 + start,
        modelKwargs: { y: tf.tensor1d(labels.subarray(start, start + m), "int32") },
      });
      for (const v of x.dataSync()) want.push(Math.min(255, Math.max(0, Math.round((v + 1) * 127.5))));
      x.dispose();
    }
    expect(Array.from(got)).toEqual(want);
  });

  it("keeps sweep.json and says which settings differ", () => {
    const settings: SweepSettings = {
      model: "m",
      modelStep: 5,
      classifier: null,
      classifierStep: null,
      over: "none",
      sampler: "ddim",
      steps: 25,
      eta: null,
      n: 10,
      seed: 0,
      batch: 64,
      labels: "balanced",
    };
    const d = join(dir, "sweep");
    mkdirSync(d);
    expect(readSweep(d)).toBeUndefined();
    writeSweep(d, { command: "adm-ts sweep", settings, points: [] });
    expect(readSweep(d)!.settings).toEqual(settings);
    expect(settingsDiffer(settings, { ...settings })).toEqual([]);
    expect(settingsDiffer(settings, { ...settings, n: 20, sampler: "ddpm" })).toEqual(['sampler: "ddim" vs "ddpm"', "n: 10 vs 20"]);
    writeFileSync(join(d, "sweep.json"), "{ not json");
    expect(() => readSweep(d)).toThrow(/sweep.json.*is not JSON/s);
  });
});

describe("EMA snapshots", () => {
  it("lists the committed snapshots oldest first and loads one's float16 weights exactly", () => {
    const snapshots = listEmaSnapshots(COND);
    expect(snapshots[0]).toBe(join("ema-snapshots", "step-003500.safetensors"));
    expect([...snapshots].sort()).toEqual(snapshots);
    const trained = loadTrainedDiffusion(COND);
    const file = join(COND, snapshots[0]);
    expect(loadEmaSnapshot(trained, file)).toBe(3500);
    const [name, record] = [...readSafetensors(file).tensors].find(([k]) => k === "out.2.weight")!;
    const want = Array.from(record.data as Uint16Array, halfToFloat);
    const got = trained.net.params.get(name)!; // PyTorch [out, in, kh, kw] -> ours [kh, kw, in, out]
    const [o, i, kh, kw] = record.shape;
    const ours = got.dataSync();
    let maxGap = 0;
    for (let a = 0; a < o; a++)
      for (let b = 0; b < i; b++)
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++) maxGap = Math.max(maxGap, Math.abs(want[((a * i + b) * kh + y) * kw + x] - ours[((y * kw + x) * i + b) * o + a]));
    expect(maxGap).toBe(0);
    expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(1e-3); // trained weights, not the zero-initialised head
    trained.net.dispose();
  });

  it("refuses a snapshot of another model configuration", () => {
    const trained = loadTrainedDiffusion(COND);
    const src = readSafetensors(join(COND, listEmaSnapshots(COND)[0]));
    const config = JSON.parse(src.metadata.config);
    config.model.unet.numClasses = null;
    const other = join(dir, "other.safetensors");
    writeSafetensors(other, src.tensors, { ...src.metadata, config: JSON.stringify(config) });
    expect(() => loadEmaSnapshot(trained, other)).toThrow(/other.safetensors.*saved by a run of another model configuration/s);
    trained.net.dispose();
  });
});
