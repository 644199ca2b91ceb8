import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { onnxModel } from "../../lib/engine/onnx-model";
import { EncoderUNetModel, PoolKind, UNetModel } from "../../lib/models";
import { COURSE_CONFIGS } from "../../lib/course/model-configs";
import { GOLDEN_CLASSIFIERS } from "../models/golden-helpers";
import { maxAbsDiff, randomizeParams } from "./helpers";

beforeAll(async () => {
  await initBackend("wasm");
});

/** tfjs and ONNX Runtime on the same random inputs, batch 2, with a fractional timestep. */
async function compare(name: string, model: UNetModel | EncoderUNetModel, seed: number): Promise<void> {
  randomizeParams(model, seed);
  const c = model.config;
  const x = tf.randomNormal([2, c.imageSize, c.imageSize, c.inChannels], 0, 1, "float32", seed) as tf.Tensor4D;
  const t = tf.tensor1d([3, 637.5], "float32");
  const y = model instanceof UNetModel && model.config.numClasses !== null ? tf.tensor1d([1, model.config.numClasses - 1], "int32") : null;
  const expected = model instanceof UNetModel ? model.forward(x, t, y ?? undefined) : model.forward(x, t);
  const engine = await onnxModel(model, { threads: 1 });
  const out = await engine.forward(x, t, y);
  await engine.dispose();
  expect(out.shape).toEqual(expected.shape);
  const scale = (await tf.max(tf.abs(expected)).data())[0];
  const err = await maxAbsDiff(out, expected);
  console.log(`${name}: max |onnx - tfjs| = ${err.toExponential(2)} (outputs up to ${scale.toFixed(2)})`);
  expect(scale).toBeGreaterThan(0.1);
  expect(err).toBeLessThan(1e-4);
  tf.dispose([x, t, expected, out, ...(y ? [y] : [])]);
  model.dispose();
}

describe("course configurations with random weights: ONNX Runtime equals tfjs (1e-4)", () => {
  Object.entries(COURSE_CONFIGS).forEach(([name, cfg], i) => {
    test(name, () => compare(name, cfg.kind === "diffusion" ? new UNetModel(cfg.unet) : new EncoderUNetModel(cfg.encoder), i + 1));
  });
});

describe("every classifier pool", () => {
  (["spatial", "spatial_v2"] as PoolKind[]).forEach((pool, i) => {
    test(pool, () => compare(pool, new EncoderUNetModel({ ...GOLDEN_CLASSIFIERS.classifier_attention, pool }), 20 + i));
  });
  test("attention pool after attention blocks in the legacy order", () =>
    compare("attention+legacy", new EncoderUNetModel({ ...GOLDEN_CLASSIFIERS.classifier_attention, useNewAttentionOrder: false }), 30));
});

describe("onnxModel checks its inputs", () => {
  test("shapes, labels and dtypes are named in the error", async () => {
    const model = new UNetModel({
      imageSize: 8,
      inChannels: 1,
      modelChannels: 32,
      outChannels: 2,
      numResBlocks: 1,
      attentionResolutions: [],
      channelMult: [1],
      numClasses: 11,
    });
    const engine = await onnxModel(model, { threads: 1 });
    const x = { data: new Float32Array(2 * 8 * 8), shape: [2, 8, 8, 1] as [number, number, number, number] };
    await expect(engine.run({ ...x, shape: [2, 8, 8, 3] }, [1, 2], [0, 1])).rejects.toThrow(/x must be NHWC \[N, 8, 8, 1\], got \[2,8,8,3\]/);
    await expect(engine.run(x, [1], [0, 1])).rejects.toThrow(/t must hold 2 timesteps/);
    await expect(engine.run(x, [1, 2])).rejects.toThrow(/reads labels: pass y, 2 integers/);
    await expect(engine.forward(tf.zeros([2, 8, 8, 1], "int32") as tf.Tensor4D, tf.tensor1d([1, 2]), tf.tensor1d([0, 1]))).rejects.toThrow(
      /x must be float32, got int32/,
    );
    const out = await engine.run(x, [1, 2], [0, 10]);
    expect(out.shape).toEqual([2, 8, 8, 2]);
    await engine.dispose();
    model.dispose();
  });
});
