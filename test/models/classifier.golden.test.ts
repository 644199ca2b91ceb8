import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { loadStateDict, loadTorchCheckpoint } from "../../lib/io";
import { EncoderUNetConfig, EncoderUNetModel, countEncoderParameters } from "../../lib/models";
import { GOLDEN_CLASSIFIERS, fixture, golden, ints, maxAbsDiff, nhwc } from "./golden-helpers";

const ATTENTION = GOLDEN_CLASSIFIERS.classifier_attention;
const ADAPTIVE = GOLDEN_CLASSIFIERS.classifier_adaptive;

const SPATIAL: EncoderUNetConfig = {
  imageSize: 8, inChannels: 3, modelChannels: 32, outChannels: 10, numResBlocks: 0, attentionResolutions: [2], channelMult: [1, 1],
  numHeadChannels: 16, useScaleShiftNorm: true, resblockUpdown: true, pool: "spatial",
};
const SPATIAL_V2: EncoderUNetConfig = {
  imageSize: 8, inChannels: 3, modelChannels: 32, outChannels: 10, numResBlocks: 0, attentionResolutions: [1], channelMult: [1],
  numHeads: 2, useScaleShiftNorm: false, pool: "spatial_v2",
};

function load(config: EncoderUNetConfig, file: string): EncoderUNetModel {
  const model = new EncoderUNetModel(config);
  loadStateDict(model, loadTorchCheckpoint(fixture(file)), { source: file });
  return model;
}

/** classifier_sample.py's cond_fn at scale 1: d/dx sum_i log_softmax(logits_i)[y_i]. */
function guidanceGradient(model: EncoderUNetModel, x: tf.Tensor4D, t: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor4D {
  return tf.grad((xx: tf.Tensor) => {
    const logp = tf.logSoftmax(model.forward(xx as tf.Tensor4D, t));
    return tf.sum(tf.mul(logp, tf.oneHot(y, logp.shape[1])));
  })(x) as tf.Tensor4D;
}

beforeAll(async () => {
  await initBackend("wasm");
});

describe("EncoderUNetModel reproduces guided-diffusion's classifier", () => {
  test.each([
    ["attention", ATTENTION, "classifier_attention"],
    ["spatial", SPATIAL, "classifier_spatial"],
    ["spatial_v2", SPATIAL_V2, "classifier_spatial_v2"],
  ] as const)("%s pool: logits and the guidance gradient d/dx log p(y|x_t)", async (_, config, name) => {
    const g = golden(name);
    const model = load(config, `${name}.f16.pt`);
    const x = nhwc(g.get("x")!);
    const t = ints(g.get("t")!);
    const y = ints(g.get("y")!);
    const logits = model.forward(x, t);
    const expected = tf.tensor(g.get("out")!.data as Float32Array, g.get("out")!.shape);
    expect(logits.shape).toEqual([2, 10]);
    expect(await maxAbsDiff(logits, expected)).toBeLessThan(1e-4);
    const grad = guidanceGradient(model, x, t, y);
    const expectedGrad = nhwc(g.get("grad")!);
    expect(await maxAbsDiff(grad, expectedGrad)).toBeLessThan(1e-4);
    tf.dispose([x, t, y, logits, expected, grad, expectedGrad]);
    model.dispose();
  });

  test("adaptive pool", async () => {
    const g = golden("classifier_adaptive");
    const model = load(ADAPTIVE, "classifier_adaptive.f16.pt");
    const x = nhwc(g.get("x")!);
    const t = ints(g.get("t")!);
    const logits = model.forward(x, t);
    const expected = tf.tensor(g.get("out")!.data as Float32Array, g.get("out")!.shape);
    expect(await maxAbsDiff(logits, expected)).toBeLessThan(1e-4);
    tf.dispose([x, t, logits, expected]);
    model.dispose();
  });
});

describe("the other heads at the attention classifier's size", () => {
  // counts and head keys printed by guided-diffusion's EncoderUNetModel for this config
  const base: EncoderUNetConfig = { ...ATTENTION };
  for (const [pool, count, head] of [
    ["spatial", 514826, ["out.0.weight", "out.0.bias", "out.2.weight", "out.2.bias"]],
    ["spatial_v2", 518922, ["out.0.weight", "out.0.bias", "out.1.weight", "out.1.bias", "out.3.weight", "out.3.bias"]],
    ["adaptive", 165002, ["out.0.weight", "out.0.bias", "out.3.weight", "out.3.bias"]],
  ] as const) {
    test(`${pool}: guided-diffusion's parameter count and head keys`, () => {
      const model = new EncoderUNetModel({ ...base, pool });
      expect(countEncoderParameters({ ...base, pool })).toBe(count);
      expect(model.specs.map((s) => s.name).filter((k) => k.startsWith("out."))).toEqual(head);
      model.dispose();
    });
  }
});
