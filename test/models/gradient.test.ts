import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { loadStateDict, loadTorchCheckpoint } from "../../lib/io";
import { EncoderUNetModel, UNetModel } from "../../lib/models";
import { fixture } from "./golden-helpers";

beforeAll(async () => {
  await initBackend("wasm");
});

function scalar(f: () => tf.Scalar): number {
  const s = tf.tidy(f);
  const v = s.dataSync()[0];
  s.dispose();
  return v;
}

test("tf.variableGrads through UNetModel.forward reaches every parameter and matches finite differences", () => {
  const model = new UNetModel({
    imageSize: 8, inChannels: 3, numResBlocks: 0, channelMult: [1, 1], modelChannels: 32, outChannels: 6, attentionResolutions: [2],
    numClasses: 10, numHeadChannels: 16, useScaleShiftNorm: true, resblockUpdown: true, useNewAttentionOrder: true,
  });
  loadStateDict(model, loadTorchCheckpoint(fixture("unet_adagn_updown_new.pt")));
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const t = tf.tensor1d([10, 700], "int32");
  const y = tf.tensor1d([3, 4], "int32");
  const loss = () => tf.mean(tf.square(model.forward(x, t, y))) as tf.Scalar;
  const { grads } = tf.variableGrads(loss, [...model.params.values()]);
  const byName = new Map([...model.params].map(([name, v]) => [name, grads[v.name]]));
  expect([...byName.values()].every((g) => g !== undefined)).toBe(true);
  for (const [name, v] of model.params) expect(byName.get(name)!.shape).toEqual(v.shape);
  // central differences on single entries of layers spread through the network
  for (const [name, index] of [["input_blocks.0.0.weight", 5], ["label_emb.weight", 3 * 128 + 7], ["middle_block.1.qkv.weight", 40], ["output_blocks.1.0.out_layers.3.bias", 2]] as const) {
    const v = model.params.get(name)!;
    const original = v.dataSync().slice();
    const h = 1e-2;
    const at = (delta: number) => {
      const d = original.slice();
      d[index] += delta;
      v.assign(tf.tensor(d, v.shape));
      return scalar(loss);
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    v.assign(tf.tensor(original, v.shape));
    const analytic = byName.get(name)!.dataSync()[index];
    expect(Math.abs(numeric - analytic)).toBeLessThan(2e-3 * Math.max(1e-2, Math.abs(analytic)) + 2e-5);
  }
  tf.dispose([x, t, y, ...Object.values(grads)]);
  model.dispose();
});

test("classifier guidance gradient d/dx log p(y|x_t) matches finite differences", () => {
  const model = new EncoderUNetModel({
    imageSize: 8, inChannels: 3, modelChannels: 32, outChannels: 10, numResBlocks: 1, attentionResolutions: [2], channelMult: [1, 1],
    numHeadChannels: 16, useScaleShiftNorm: true, resblockUpdown: true, pool: "attention",
  });
  loadStateDict(model, loadTorchCheckpoint(fixture("classifier_attention.f16.pt")));
  const t = tf.tensor1d([250], "int32");
  const logp = (xx: tf.Tensor) => tf.logSoftmax(model.forward(xx as tf.Tensor4D, t)).gather([6], 1).sum() as tf.Scalar;
  const x0 = tf.randomNormal([1, 8, 8, 3], 0, 1, "float32", 2);
  const grad = tf.grad(logp)(x0);
  const g = grad.dataSync();
  const base = x0.dataSync();
  for (const index of [0, 37, 100, 191]) {
    const h = 1e-2;
    const at = (delta: number) => {
      const d = base.slice();
      d[index] += delta;
      return scalar(() => logp(tf.tensor4d(d, [1, 8, 8, 3])));
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    expect(Math.abs(numeric - g[index])).toBeLessThan(2e-3 * Math.max(1e-2, Math.abs(g[index])) + 2e-5);
  }
  tf.dispose([t, x0, grad]);
  model.dispose();
});

test("dropout acts only in training mode", () => {
  const model = new UNetModel({ imageSize: 8, inChannels: 3, numResBlocks: 0, channelMult: [1, 1], modelChannels: 32, outChannels: 3, attentionResolutions: [], dropout: 0.5 });
  loadStateDict(model, loadTorchCheckpoint(fixture("unet_plain_convresample.f16.pt")), { strict: false });
  const x = tf.randomNormal([1, 8, 8, 3]) as tf.Tensor4D;
  const t = tf.tensor1d([3], "int32");
  const diff = () => scalar(() => tf.max(tf.abs(tf.sub(model.forward(x, t), model.forward(x, t)))) as tf.Scalar);
  expect(diff()).toBe(0);
  model.training = true;
  expect(diff()).toBeGreaterThan(1e-3);
  tf.dispose([x, t]);
  model.dispose();
});
