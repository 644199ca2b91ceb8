/**
 * The shipped course models (models/fashion-*, their trained weights) on ONNX Runtime equal tfjs:
 * outputs within 1e-4 max abs, and the noisy classifier's guidance gradient within 1e-4 of tf.grad
 * through the tfjs classifier, on noisy inputs at timesteps across the whole schedule.
 */
import * as tf from "@tensorflow/tfjs";
import { join, resolve } from "path";
import { initBackend } from "../../lib/backend";
import { onnxClassifierGradient, onnxModel } from "../../lib/engine/onnx-model";
import { loadTrainedClassifier, loadTrainedDiffusion } from "../../lib/course/trained-model";
import { maxAbsDiff } from "./helpers";

const MODELS = resolve(__dirname, "../../models");
/** four images at timesteps from nearly clean to pure noise (one fractional, as a respaced run gives) */
const T = [0, 250.5, 640, 999];

beforeAll(async () => {
  await initBackend("wasm");
});

function inputs(seed: number): { x: tf.Tensor4D; t: tf.Tensor1D; y: tf.Tensor1D } {
  return {
    x: tf.randomNormal([T.length, 32, 32, 1], 0, 1, "float32", seed) as tf.Tensor4D,
    t: tf.tensor1d(T, "float32"),
    y: tf.tensor1d([0, 3, 7, 9], "int32"),
  };
}

const scaleOf = async (v: tf.Tensor): Promise<number> => (await tf.max(tf.abs(v)).data())[0];

describe.each(["fashion-cond", "fashion-uncond"])("%s: the UNet on ONNX Runtime equals tfjs", (name) => {
  test("eps and variance outputs within 1e-4", async () => {
    const trained = loadTrainedDiffusion(join(MODELS, name));
    const { x, t, y } = inputs(name.length);
    const labels = trained.classCond ? y : null;
    const expected = trained.net.forward(x, t, labels ?? undefined);
    const engine = await onnxModel(trained.net, { threads: 1 });
    const out = await engine.forward(x, t, labels);
    await engine.dispose();
    const err = await maxAbsDiff(out, expected);
    const scale = await scaleOf(expected);
    console.log(`${name}: max |onnx - tfjs| = ${err.toExponential(2)} (outputs up to ${scale.toFixed(2)})`);
    expect(out.shape).toEqual([T.length, 32, 32, 2]);
    expect(scale).toBeGreaterThan(0.5);
    expect(err).toBeLessThan(1e-4);
    tf.dispose([x, t, y, expected, out]);
    trained.net.dispose();
  });
});

describe.each(["fashion-classifier", "fashion-features"])("%s on ONNX Runtime", (name) => {
  test("logits within 1e-4 of tfjs, and the guidance gradient within 1e-4 of tf.grad", async () => {
    const { net } = loadTrainedClassifier(join(MODELS, name));
    const { x, t, y } = inputs(name.length + 10);
    const refLogits = net.forward(x, t);
    // d/dx sum_i log p(y_i | x_i, t_i), by tf.grad through the tfjs classifier
    const refGrad = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(net.forward(xx as tf.Tensor4D, t)), tf.oneHot(y, 10))))(x);
    const forward = await onnxModel(net, { threads: 1 });
    const logits = await forward.forward(x, t);
    await forward.dispose();
    const guidance = await onnxClassifierGradient(net, { threads: 1 });
    const both = await guidance.forward(x, t, y);
    await guidance.dispose();
    const errLogits = await maxAbsDiff(logits, refLogits);
    const errBoth = await maxAbsDiff(both.logits, refLogits);
    const errGrad = await maxAbsDiff(both.grad, refGrad);
    const gradScale = await scaleOf(refGrad);
    console.log(
      `${name}: logits ${errLogits.toExponential(2)} (gradient graph's ${errBoth.toExponential(2)}), grad ${errGrad.toExponential(2)} (grad up to ${gradScale.toExponential(2)})`,
    );
    expect(await scaleOf(refLogits)).toBeGreaterThan(1);
    expect(gradScale).toBeGreaterThan(1e-3);
    expect(errLogits).toBeLessThan(1e-4);
    expect(errBoth).toBeLessThan(1e-4);
    expect(errGrad).toBeLessThan(1e-4);
    tf.dispose([x, t, y, refLogits, refGrad, logits, both.logits, both.grad]);
    net.dispose();
  });
});
