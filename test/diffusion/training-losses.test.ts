import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion, type DiffusionModel, stopGradient, trainingLosses } from "../../lib/diffusion";

beforeAll(async () => {
  await initBackend("wasm");
});

/** out = [tanh(x * wm + t / 1000) | tanh(x * wv)], elementwise, with trainable wm and wv */
function tinyModel(wm: tf.Variable, wv: tf.Variable): DiffusionModel {
  return {
    forward: (x, t) => tf.tidy(() => tf.concat([tf.tanh(x.mul(wm).add(t.toFloat().div(1000).reshape([-1, 1, 1, 1]))), tf.tanh(x.mul(wv))], 3) as tf.Tensor4D),
  };
}

describe("trainingLosses is differentiable w.r.t. model variables", () => {
  const d = createGaussianDiffusion({ steps: 1000, learnSigma: true, timestepRespacing: "40" });
  let wm: tf.Variable, wv: tf.Variable, model: DiffusionModel, x0: tf.Tensor4D, noise: tf.Tensor4D, t: tf.Tensor1D;
  beforeAll(() => {
    wm = tf.variable(tf.tensor1d([0.8, -0.4]), true, "wm");
    wv = tf.variable(tf.tensor1d([0.3, 0.6]), true, "wv");
    model = tinyModel(wm, wv);
    x0 = tf.tensor4d([0.2, -0.5, 0.9, 1, -1, 0.1, 0.4, -0.3], [2, 2, 1, 2]);
    noise = tf.tensor4d([0.3, -1.1, 0.5, 0.2, 1.4, -0.7, 0.05, 0.9], [2, 2, 1, 2]);
    t = tf.tensor1d([0, 17], "int32");
  });
  const term = (key: "loss" | "mse" | "vb") => (): tf.Scalar => tf.mean(trainingLosses(d, model, x0, t, { noise })[key] as tf.Tensor1D) as tf.Scalar;

  test("the vb term does not move the mean (stop-gradient), the mse term does not move the variance", () => {
    const vb = tf.variableGrads(term("vb"), [wm, wv]);
    expect(Array.from(vb.grads.wm.dataSync())).toEqual([0, 0]);
    expect(tf.max(tf.abs(vb.grads.wv)).dataSync()[0]).toBeGreaterThan(1e-4);
    const mse = tf.variableGrads(term("mse"), [wm, wv]);
    expect(tf.max(tf.abs(mse.grads.wm)).dataSync()[0]).toBeGreaterThan(1e-4);
    expect(Array.from(mse.grads.wv.dataSync())).toEqual([0, 0]);
    tf.dispose([vb.value, mse.value, ...Object.values(vb.grads), ...Object.values(mse.grads)]);
  });

  test("gradients of the hybrid loss are the mse's for the mean and the bound's for the variance (central differences)", () => {
    const { value, grads } = tf.variableGrads(term("loss"), [wm, wv]);
    for (const [v, key] of [
      [wm, "mse"],
      [wv, "vb"],
    ] as const) {
      const g = grads[v.name].dataSync();
      const base = v.dataSync().slice();
      for (let i = 0; i < base.length; i++) {
        const at = (delta: number): number => {
          const p = base.slice();
          p[i] += delta;
          v.assign(tf.tensor1d(p));
          return tf.tidy(() => term(key)().dataSync()[0]);
        };
        const h = 1e-2;
        const fd = (at(h) - at(-h)) / (2 * h);
        v.assign(tf.tensor1d(base));
        expect(Math.abs(g[i] - fd)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
    }
    tf.dispose([value, ...Object.values(grads)]);
  });

  test("stopGradient is the identity forwards", () => {
    tf.tidy(() => expect(Array.from(stopGradient(tf.tensor1d([1.5, -2])).dataSync())).toEqual([1.5, -2]));
  });

  test("a model with the wrong channel count is named", () => {
    const plain: DiffusionModel = { forward: (x) => x.clone() };
    expect(() => trainingLosses(d, plain, x0, t, { noise })).toThrow(/model output shape \[2, 2, 1, 2\] should be \[2, 2, 1, 4\].*learnSigma/);
  });
});
