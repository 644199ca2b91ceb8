import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion, spaceTimesteps, type DiffusionModel, type NoisyClassifier } from "../../lib/diffusion";
import { cfgModel, classifierCondFn, ddim, ddpm, dpmSolverPP, engineCondFn, sample, type InputGradientModel, type SampleShape } from "../../lib/sampling";
import { mixtureClassifier, mixtureEpsModel } from "./toy-models";

beforeAll(async () => {
  await initBackend("wasm");
});

test("classifierCondFn is s * d/dx log softmax(logits)[y] (linear classifier, closed form)", () => {
  // logits = x_flat W^T: the gradient of log p(y) is W_y - sum_k p_k W_k
  const W = [
    [0.5, -1, 2],
    [1.5, 0.3, -0.7],
  ];
  const classifier: NoisyClassifier = { forward: (x) => tf.tidy(() => tf.matMul(x.reshape([x.shape[0], -1]), tf.tensor2d(W), false, true) as tf.Tensor2D) };
  const xs = [
    [0.1, 0.2, -0.3],
    [-1, 0.5, 0.4],
  ];
  const ys = [1, 0];
  const grad = tf.tidy(() =>
    (
      classifierCondFn(classifier, 3)(tf.tensor4d(xs.flat(), [2, 1, 1, 3]), tf.tensor1d([5, 7], "int32"), { y: tf.tensor1d(ys, "int32") }) as tf.Tensor4D
    ).arraySync(),
  );
  xs.forEach((x, n) => {
    const logits = W.map((w) => w.reduce((a, wi, i) => a + wi * x[i], 0));
    const z = logits.map(Math.exp);
    const p = z.map((v) => v / (z[0] + z[1]));
    const want = W[ys[n]].map((wy, i) => 3 * (wy - p[0] * W[0][i] - p[1] * W[1][i]));
    want.forEach((v, i) => expect(grad[n][0][0][i]).toBeCloseTo(v, 5));
  });
  expect(() => classifierCondFn(classifier, 1)(tf.zeros([1, 1, 1, 3]) as tf.Tensor4D, tf.tensor1d([0], "int32"), {})).toThrow(/modelKwargs: \{ y \}/);
});

test("engineCondFn scales a model's own gradient, hands it the loop's signal, and frees its outputs", async () => {
  // a linear classifier that returns its gradient in closed form, W_y - sum_k p_k W_k (as the engine's graph does)
  const W = tf.tensor2d([
    [0.5, -1, 2],
    [1.5, 0.3, -0.7],
  ]);
  const signals: (AbortSignal | undefined)[] = [];
  const engine: InputGradientModel = {
    forward: async (x, _t, y, opts) => {
      signals.push(opts?.signal);
      return tf.tidy(() => {
        const logits = tf.matMul(x.reshape([x.shape[0], -1]), W, false, true);
        const p = tf.softmax(logits);
        return { logits, grad: tf.matMul(tf.oneHot(y, 2).sub(p), W).reshape(x.shape) as tf.Tensor4D };
      });
    },
  };
  const classifier: NoisyClassifier = { forward: (x) => tf.tidy(() => tf.matMul(x.reshape([x.shape[0], -1]), W, false, true) as tf.Tensor2D) };
  const x = tf.tensor4d([0.1, 0.2, -0.3, -1, 0.5, 0.4], [2, 1, 1, 3]);
  const t = tf.tensor1d([5, 7], "int32");
  const y = tf.tensor1d([1, 0], "int32");
  const controller = new AbortController();
  const before = tf.memory().numTensors;
  const got = await engineCondFn(engine, 3)(x, t, { y }, { signal: controller.signal });
  expect(tf.memory().numTensors).toBe(before + 1);
  const want = classifierCondFn(classifier, 3)(x, t, { y }) as tf.Tensor4D;
  expect(tf.max(tf.abs(got.sub(want))).dataSync()[0]).toBeLessThan(1e-6);
  expect(signals).toEqual([controller.signal]);
  await expect(engineCondFn(engine, 1)(x, t, {})).rejects.toThrow(/modelKwargs: \{ y \}/);
  expect(() => engineCondFn(engine, NaN)).toThrow(/scale must be a finite number/);
  tf.dispose([W, x, t, y, got, want]);
});

test("cfgModel: eps_uncond + w (eps_cond - eps_uncond), variance channels from the conditional branch", () => {
  const calls: number[][] = [];
  // eps = y + x (so the two branches differ by the label); v = 10 y
  const model: DiffusionModel = {
    forward: (x, t, y) =>
      tf.tidy(() => {
        calls.push(Array.from((y as tf.Tensor1D).dataSync()));
        expect(Array.from(t.dataSync())).toEqual([4, 9, 4, 9]);
        const yy = (y as tf.Tensor1D).toFloat().reshape([-1, 1, 1, 1]);
        return tf.concat([x.add(yy), yy.mul(10).tile([1, 1, 1, x.shape[3]])], 3) as tf.Tensor4D;
      }),
  };
  const x = tf.tensor4d([0.5, -0.5, 1, 2], [2, 1, 1, 2]);
  for (const w of [0, 1, 3]) {
    const out = tf.tidy(() =>
      cfgModel(model, { scale: w, nullClass: 7 })
        .forward(x, tf.tensor1d([4, 9], "int32"), tf.tensor1d([2, 5], "int32"))
        .arraySync(),
    );
    [2, 5].forEach((y, n) => {
      const xv = [x.arraySync()[n][0][0][0], x.arraySync()[n][0][0][1]];
      xv.forEach((xi, c) => expect(out[n][0][0][c]).toBeCloseTo(xi + 7 + w * (y - 7), 5));
      expect(out[n][0][0].slice(2)).toEqual([10 * y, 10 * y]);
    });
  }
  expect(calls[0]).toEqual([2, 5, 7, 7]);
  expect(() => cfgModel(model, { scale: 2, nullClass: 7 }).forward(x, tf.tensor1d([4, 9], "int32"))).toThrow(/needs class labels/);
  expect(() => cfgModel(model, { scale: NaN, nullClass: 7 })).toThrow(/scale must be a finite number/);
  expect(() => cfgModel(model, { scale: 2, nullClass: 1.5 })).toThrow(/nullClass must be a non-negative integer/);
  x.dispose();
});

describe("classifier guidance on a 2-D two-Gaussian mixture with the exact classifier", () => {
  // class 0 at (0.5, 0.5), class 1 at (-0.5, -0.5), std 0.2; every sample asks for class 0
  const centers = [
    [0.5, 0.5],
    [-0.5, -0.5],
  ];
  const s = 0.2;
  const shape: SampleShape = [300, 1, 1, 2];
  const base = createGaussianDiffusion({ steps: 1000 });
  const model = mixtureEpsModel(base.alphasCumprod, centers, s);
  const classifier = mixtureClassifier(base.alphasCumprod, centers, s);

  /** fraction of samples nearer class 0's center */
  const fractionClass0 = (x: tf.Tensor4D): number => {
    const v = x.dataSync();
    let k = 0;
    for (let i = 0; i < v.length; i += 2) if (v[i] + v[i + 1] > 0) k++;
    return k / (v.length / 2);
  };

  test.each([
    [
      "DDPM, Algorithm 1 (50 steps)",
      (scale: number, y: tf.Tensor1D) =>
        sample(ddpm, base, model, shape, { steps: 50, seed: 21, condFn: classifierCondFn(classifier, scale), modelKwargs: { y } }),
    ],
    [
      "DDIM, Algorithm 2 (25 steps)",
      (scale: number, y: tf.Tensor1D) =>
        sample(ddim, base, model, shape, { steps: spaceTimesteps(1000, "25"), seed: 22, condFn: classifierCondFn(classifier, scale), modelKwargs: { y } }),
    ],
    [
      "DPM-Solver++, Algorithm 2 (15 steps)",
      (scale: number, y: tf.Tensor1D) =>
        sample(dpmSolverPP, base, model, shape, { steps: 15, seed: 23, condFn: classifierCondFn(classifier, scale), modelKwargs: { y } }),
    ],
  ])("%s: larger scales move more samples to the asked class", async (_name, draw) => {
    const y = tf.zeros([shape[0]], "int32") as tf.Tensor1D;
    (await draw(0, y)).dispose(); // the diffusion's table tensors are made on first use
    const before = tf.memory().numTensors;
    const fractions: number[] = [];
    for (const scale of [0, 0.3, 1]) {
      const x = await draw(scale, y);
      fractions.push(fractionClass0(x));
      x.dispose();
    }
    // unguided: Binomial(300, 1/2) around 0.5; the exact classifier at scale 1 gives the class-0 component
    expect(Math.abs(fractions[0] - 0.5)).toBeLessThan(0.15);
    expect(fractions[1]).toBeGreaterThan(fractions[0] + 0.05);
    expect(fractions[2]).toBeGreaterThan(fractions[1]);
    expect(fractions[2]).toBeGreaterThan(0.97);
    // guided loops (tf.grad at every step) leak nothing
    expect(tf.memory().numTensors).toBe(before);
    y.dispose();
  });
});
