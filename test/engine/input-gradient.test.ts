import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { onnxClassifierGradient } from "../../lib/engine/onnx-model";
import { loadStateDict, loadTorchCheckpoint } from "../../lib/io";
import { EncoderUNetModel, PoolKind } from "../../lib/models";
import { COURSE_CONFIGS } from "../../lib/course/model-configs";
import { GOLDEN_CLASSIFIERS, fixture, golden, ints, nhwc } from "../models/golden-helpers";
import { maxAbsDiff, randomizeParams } from "./helpers";

beforeAll(async () => {
  await initBackend("wasm");
});

/** tfjs's reference: d/dx sum_i log_softmax(logits_i)[y_i], by tf.grad through the tfjs forward. */
function tfGradient(model: EncoderUNetModel, x: tf.Tensor4D, t: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor4D {
  return tf.grad((xx: tf.Tensor) => {
    const logp = tf.logSoftmax(model.forward(xx as tf.Tensor4D, t));
    return tf.sum(tf.mul(logp, tf.oneHot(y, logp.shape[1])));
  })(x) as tf.Tensor4D;
}

/** ONNX logits and gradient against tfjs (and against guided-diffusion's where given). */
async function compare(
  name: string,
  model: EncoderUNetModel,
  x: tf.Tensor4D,
  t: tf.Tensor1D,
  y: tf.Tensor1D,
  golden?: { out: tf.Tensor; grad: tf.Tensor },
): Promise<void> {
  const engine = await onnxClassifierGradient(model, { threads: 1 });
  const { logits, grad } = await engine.forward(x, t, y);
  await engine.dispose();
  const refLogits = model.forward(x, t);
  const refGrad = tfGradient(model, x, t, y);
  const scale = (await tf.max(tf.abs(refGrad)).data())[0];
  const errLogits = await maxAbsDiff(logits, refLogits);
  const errGrad = await maxAbsDiff(grad, refGrad);
  let line = `${name}: logits ${errLogits.toExponential(2)}, grad ${errGrad.toExponential(2)} vs tfjs (grad up to ${scale.toExponential(2)})`;
  if (golden) {
    const [gl, gg] = [await maxAbsDiff(logits, golden.out), await maxAbsDiff(grad, golden.grad)];
    line += `; logits ${gl.toExponential(2)}, grad ${gg.toExponential(2)} vs guided-diffusion`;
    expect(gl).toBeLessThan(1e-4);
    expect(gg).toBeLessThan(1e-4);
  }
  console.log(line);
  expect(grad.shape).toEqual(x.shape);
  expect(scale).toBeGreaterThan(1e-4);
  expect(errLogits).toBeLessThan(1e-4);
  expect(errGrad).toBeLessThan(1e-4);
  // gradients are small: hold them to 0.1% of their size as well
  expect(errGrad).toBeLessThan(1e-3 * scale);
  tf.dispose([logits, grad, refLogits, refGrad]);
}

test("golden attention classifier: logits and guidance gradient equal guided-diffusion's and tf.grad's", async () => {
  const g = golden("classifier_attention");
  const model = new EncoderUNetModel(GOLDEN_CLASSIFIERS.classifier_attention);
  loadStateDict(model, loadTorchCheckpoint(fixture("classifier_attention.f16.pt")));
  const x = nhwc(g.get("x")!);
  const t = ints(g.get("t")!);
  const y = ints(g.get("y")!);
  const out = tf.tensor(g.get("out")!.data as Float32Array, g.get("out")!.shape);
  const grad = nhwc(g.get("grad")!);
  await compare("classifier_attention", model, x, t, y, { out, grad });
  tf.dispose([x, t, y, out, grad]);
  model.dispose();
});

/** random weights and inputs, batch 2 */
async function randomCase(name: string, model: EncoderUNetModel, seed: number): Promise<void> {
  randomizeParams(model, seed);
  const c = model.config;
  const x = tf.randomNormal([2, c.imageSize, c.imageSize, c.inChannels], 0, 1, "float32", seed) as tf.Tensor4D;
  const t = tf.tensor1d([7, 512.5]);
  const y = tf.tensor1d([2, c.outChannels - 1], "int32");
  await compare(name, model, x, t, y);
  tf.dispose([x, t, y]);
  model.dispose();
}

describe("every pool and the course classifiers, random weights: gradient equals tf.grad (1e-4)", () => {
  test("adaptive pool (golden weights)", async () => {
    const model = new EncoderUNetModel(GOLDEN_CLASSIFIERS.classifier_adaptive);
    loadStateDict(model, loadTorchCheckpoint(fixture("classifier_adaptive.f16.pt")));
    const g = golden("classifier_adaptive");
    const x = nhwc(g.get("x")!);
    const t = ints(g.get("t")!);
    const y = tf.tensor1d([4, 9], "int32");
    await compare("classifier_adaptive", model, x, t, y);
    tf.dispose([x, t, y]);
    model.dispose();
  });
  (["spatial", "spatial_v2"] as PoolKind[]).forEach((pool, i) => {
    test(pool, () => randomCase(pool, new EncoderUNetModel({ ...GOLDEN_CLASSIFIERS.classifier_attention, pool }), 40 + i));
  });
  test("legacy attention order, plain downsampling by average pool", () =>
    randomCase(
      "legacy+avgpool",
      new EncoderUNetModel({ ...GOLDEN_CLASSIFIERS.classifier_attention, useNewAttentionOrder: false, resblockUpdown: false, convResample: false }),
      50,
    ));
  for (const name of ["fashion-classifier", "fashion-features"]) {
    test(name, () => {
      const cfg = COURSE_CONFIGS[name];
      if (cfg.kind !== "classifier") throw new Error(`${name} is not a classifier`);
      return randomCase(name, new EncoderUNetModel(cfg.encoder), 60 + name.length);
    });
  }
});
