import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { copyMlpDenoiser, createMlpDenoiser } from "../../lib/course/mlp-denoiser";
import { pointsDataset } from "../../lib/course/points";
import { createGaussianDiffusion, UniformSampler } from "../../lib/diffusion";
import { initTrainState, train } from "../../lib/train/loop";
import { diffusionTask } from "../../lib/train/diffusion-task";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("MLP denoiser for 2-D points", () => {
  it("maps [N,1,1,2] points and timesteps to eps (2 channels) or eps and v (4 channels)", () => {
    const x = tf.randomNormal([5, 1, 1, 2], 0, 1, "float32", 1) as tf.Tensor4D;
    const t = tf.tensor1d([0, 1, 10, 500, 999], "int32");
    const plain = createMlpDenoiser({ hidden: 16, depth: 1 });
    const sigma = createMlpDenoiser({ hidden: 16, depth: 1, learnSigma: true });
    expect(plain.forward(x, t).shape).toEqual([5, 1, 1, 2]);
    expect(sigma.forward(x, t).shape).toEqual([5, 1, 1, 4]);
    // the output layer starts at zero, so the first prediction is eps = 0 (and v = 0: the midpoint variance)
    expect(Array.from(sigma.forward(x, t).dataSync()).every((v) => v === 0)).toBe(true);
    expect(plain.numParams()).toBe(64 * 16 + 16 + 2 * 16 + 16 + 3 * 16 * 16 + 2 * 16 + 16 * 2 + 2);
    expect(() => plain.forward(tf.zeros([2, 1, 1, 3]) as tf.Tensor4D, tf.tensor1d([0, 0], "int32"))).toThrow(/\[N, 1, 1, 2\]/);
    const before = tf.memory().numTensors;
    tf.dispose(plain.forward(x, t));
    expect(tf.memory().numTensors).toBe(before);
    plain.dispose();
    sigma.dispose();
    tf.dispose([x, t]);
  });

  it("is seeded: the same seed gives the same weights", () => {
    const a = createMlpDenoiser({ hidden: 8, depth: 1, seed: 3 });
    const b = createMlpDenoiser({ hidden: 8, depth: 1, seed: 3 });
    const c = createMlpDenoiser({ hidden: 8, depth: 1, seed: 4 });
    const w = (m: typeof a) => Array.from(m.params.get("in.w")!.dataSync());
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it("copies a denoiser, widening it to a learned variance: eps unchanged, v = 0", () => {
    const m = createMlpDenoiser({ hidden: 8, depth: 1, seed: 5 });
    // give the output layer non-zero weights so the copy has something to keep
    m.params.get("out.w")!.assign(tf.randomNormal([8, 2], 0, 1, "float32", 6));
    m.params.get("out.b")!.assign(tf.tensor1d([0.3, -0.2]));
    const wide = copyMlpDenoiser(m, { learnSigma: true });
    const same = copyMlpDenoiser(m);
    const x = tf.randomNormal([3, 1, 1, 2], 0, 1, "float32", 7) as tf.Tensor4D,
      t = tf.tensor1d([1, 50, 900], "int32");
    const a = m.forward(x, t),
      b = wide.forward(x, t),
      c = same.forward(x, t);
    expect(b.shape).toEqual([3, 1, 1, 4]);
    const [eps, v] = tf.split(b, 2, 3);
    expect(Array.from(eps.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(Array.from(v.dataSync()).every((u) => u === 0)).toBe(true);
    expect(Array.from(c.dataSync())).toEqual(Array.from(a.dataSync()));
    // the copy owns its variables
    same.params.get("in.w")!.assign(tf.zeros([2, 8]));
    expect(Array.from(m.params.get("in.w")!.dataSync()).some((u) => u !== 0)).toBe(true);
    expect(() => copyMlpDenoiser(wide, { learnSigma: false })).toThrow(/cannot drop/);
    tf.dispose([x, t, a, b, c, eps, v]);
    [m, wide, same].forEach((d) => d.dispose());
  });

  it("trains with lib/train on points (eps-MSE and the hybrid loss with learned sigma both go down)", async () => {
    const pts = new Float32Array(400);
    for (let i = 0; i < 200; i++) {
      const a = (2 * Math.PI * i) / 200;
      pts[2 * i] = 0.8 * Math.cos(a);
      pts[2 * i + 1] = 0.8 * Math.sin(a);
    }
    for (const learnSigma of [false, true]) {
      const diffusion = createGaussianDiffusion({ steps: 100, learnSigma, rescaleLearnedSigmas: learnSigma });
      const model = createMlpDenoiser({ hidden: 32, depth: 1, learnSigma, seed: 1 });
      const task = diffusionTask({
        diffusion,
        model,
        data: pointsDataset(pts),
        batchSize: 64,
        seed: 0,
        sampler: new UniformSampler(diffusion),
        classCond: false,
      });
      const state = await train(model, task, initTrainState(model), { steps: 150, lr: { lr: 3e-3 }, seed: 0, progress: false });
      const first = state.history.slice(0, 10).reduce((s, h) => s + h.loss, 0) / 10;
      const last = state.history.slice(-30).reduce((s, h) => s + h.loss, 0) / 30;
      expect(last).toBeLessThan(0.8 * first);
      if (learnSigma) expect(state.history[0].extras.vb).toBeGreaterThan(0);
      model.dispose();
    }
  });
});
