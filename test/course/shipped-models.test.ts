/**
 * The committed course models do what their cards say, at small sample sizes so the suite stays
 * fast: the feature classifier's test accuracy, the noisy classifier's accuracy against t, and the
 * share of diffusion samples the feature classifier recognises as the requested class (chance: 10%).
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, readdirSync } from "fs";
import { join, resolve } from "path";
import { initBackend } from "../../lib/backend";
import { readSafetensors } from "../../lib/io/safetensors";
import { createGaussianDiffusion } from "../../lib/diffusion/gaussian-diffusion";
import { sample } from "../../lib/sampling/loop";
import { ddim } from "../../lib/sampling/samplers";
import { cfgModel, classifierCondFn } from "../../lib/sampling/guidance";
import { fashionMnistDataset } from "../../lib/train/dataset";
import { accuracyByTimestep, cleanAccuracy } from "../../lib/train/classifier-task";
import { loadTrainedClassifier, loadTrainedDiffusion, type TrainedDiffusionModel } from "../../lib/course/trained-model";

const MODELS = resolve(__dirname, "../../models");
const shipped = readdirSync(MODELS).filter((d) => existsSync(join(MODELS, d, "model.safetensors")));
/** Lower bounds below what the models measured here (0.898, 0.87, 0.95 and 0.45; chance is 0.1), so a model that stopped working fails. */
const THRESHOLD = { features: 0.85, noisyEarly: 0.75, cond: 0.8, guided: 0.3 };
const at = (name: string): string => join(MODELS, name);

beforeAll(async () => {
  await initBackend("wasm");
});

/** Share of n samples (classes 0-9 in turn, DDIM 10 steps) that the feature classifier calls the requested class. */
async function recognised(m: TrainedDiffusionModel, n: number, opts: { cfg?: number; classifierDir?: string; scale?: number }): Promise<number> {
  const diffusion = createGaussianDiffusion(m.diffusion);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  const y = tf.tensor1d(labels, "int32");
  const model = opts.cfg !== undefined ? cfgModel(m.model, { scale: opts.cfg, nullClass: m.nullClass as number }) : m.model;
  const condFn = opts.classifierDir ? classifierCondFn(loadTrainedClassifier(opts.classifierDir).net, opts.scale ?? 1) : undefined;
  const x = await sample(ddim, diffusion, model, [n, 32, 32, 1], { steps: 10, modelKwargs: { y }, condFn, seed: 99 });
  const rate = cleanAccuracy(loadTrainedClassifier(at("fashion-features")).net, x, labels);
  tf.dispose([x, y]);
  return rate;
}

describe("shipped course models", () => {
  it("are all committed", () => {
    expect(shipped.sort()).toEqual(["fashion-classifier", "fashion-cond", "fashion-features", "fashion-uncond"]);
  });

  it.each(shipped)("%s loads strictly and gives finite outputs", (name) => {
    const dir = at(name);
    const kind = JSON.parse(readSafetensors(join(dir, "model.safetensors")).metadata.config).model.kind;
    const x = tf.randomNormal([2, 32, 32, 1], 0, 1, "float32", 1) as tf.Tensor4D;
    const t = tf.tensor1d([10, 900], "int32");
    if (kind === "diffusion") {
      const m = loadTrainedDiffusion(dir);
      const out = m.model.forward(x, t, tf.tensor1d([3, 7], "int32"));
      expect(out.shape).toEqual([2, 32, 32, 2]);
      expect(tf.isFinite(out).all().dataSync()[0]).toBe(1);
      m.net.dispose();
    } else {
      const c = loadTrainedClassifier(dir);
      const logits = c.net.forward(x, t);
      expect(logits.shape).toEqual([2, 10]);
      expect(tf.isFinite(logits).all().dataSync()[0]).toBe(1);
      c.net.dispose();
    }
  });

  it("the feature classifier labels held-out test images correctly (first 1000 of the committed test set)", () => {
    const test = fashionMnistDataset("test", 32, { subset: true });
    const n = 1000;
    const x = tf.tensor4d(test.images.subarray(0, n * 32 * 32), [n, 32, 32, 1]);
    expect(cleanAccuracy(loadTrainedClassifier(at("fashion-features")).net, x, test.labels.subarray(0, n))).toBeGreaterThan(THRESHOLD.features);
    x.dispose();
  });

  it("the noisy classifier is accurate on slightly noised images and near chance at the end of the chain", () => {
    const c = loadTrainedClassifier(at("fashion-classifier"));
    const test = fashionMnistDataset("test", 32, { subset: true });
    const acc = accuracyByTimestep(c.net, createGaussianDiffusion(c.diffusion), { ...test, n: 300 }, { buckets: 5, seed: 3 });
    expect(acc.accuracy[0]).toBeGreaterThan(THRESHOLD.noisyEarly);
    expect(acc.accuracy[0] - acc.accuracy[4]).toBeGreaterThan(0.2);
  });

  it("the class-conditional model draws the requested class (classifier-free guidance w = 3)", async () => {
    expect(await recognised(loadTrainedDiffusion(at("fashion-cond")), 20, { cfg: 3 })).toBeGreaterThanOrEqual(THRESHOLD.cond);
  }, 120000);

  it("classifier guidance steers the unconditional model to the requested class (s = 10)", async () => {
    expect(await recognised(loadTrainedDiffusion(at("fashion-uncond")), 20, { classifierDir: at("fashion-classifier"), scale: 10 })).toBeGreaterThanOrEqual(
      THRESHOLD.guided,
    );
  }, 120000);
});
