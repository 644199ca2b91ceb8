import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { onnxModel } from "../../lib/engine/onnx-model";
import { loadStateDict, loadTorchCheckpoint } from "../../lib/io";
import { EncoderUNetModel, UNetModel } from "../../lib/models";
import { GOLDEN_CLASSIFIERS, GOLDEN_UNETS, fixture, golden, ints, maxAbsDiff, nhwc } from "../models/golden-helpers";

const FILES: Record<string, string> = {
  unet_adagn_updown_new: "unet_adagn_updown_new.pt",
  unet_legacy_heads_frac: "unet_legacy_heads_frac.f16.pt",
  unet_plain_convresample: "unet_plain_convresample.f16.pt",
  classifier_attention: "classifier_attention.f16.pt",
  classifier_adaptive: "classifier_adaptive.f16.pt",
};

beforeAll(async () => {
  await initBackend("wasm");
});

/** Run one golden family on ONNX Runtime; compare with guided-diffusion's output and with tfjs. */
async function check(family: string, model: UNetModel | EncoderUNetModel): Promise<void> {
  loadStateDict(model, loadTorchCheckpoint(fixture(FILES[family])), { source: FILES[family] });
  const g = golden(family);
  const x = nhwc(g.get("x")!);
  const t = ints(g.get("t")!);
  // the classifier fixtures hold y for the guidance gradient; only a class-conditional UNet reads it
  const y = model instanceof UNetModel && g.has("y") ? ints(g.get("y")!) : null;
  const rec = g.get("out")!;
  const expected = model instanceof UNetModel ? nhwc(rec) : tf.tensor(rec.data as Float32Array, rec.shape);
  const tfjs = model instanceof UNetModel ? model.forward(x, t, y ?? undefined) : model.forward(x, t);
  const engine = await onnxModel(model, { threads: 1 });
  const onnx = await engine.forward(x, t, y);
  await engine.dispose();
  expect(onnx.shape).toEqual(expected.shape);
  const vsGolden = await maxAbsDiff(onnx, expected);
  const vsTfjs = await maxAbsDiff(onnx, tfjs);
  console.log(`${family}: max |onnx - guided-diffusion| = ${vsGolden.toExponential(2)}, max |onnx - tfjs| = ${vsTfjs.toExponential(2)}`);
  expect(vsGolden).toBeLessThan(1e-4);
  expect(vsTfjs).toBeLessThan(1e-4);
  tf.dispose([x, t, expected, tfjs, onnx, ...(y ? [y] : [])]);
  model.dispose();
}

describe("the emitted ONNX graph reproduces guided-diffusion and tfjs (1e-4 max abs)", () => {
  for (const family of Object.keys(GOLDEN_UNETS)) {
    test(`UNet ${family}`, () => check(family, new UNetModel(GOLDEN_UNETS[family])));
  }
  for (const family of Object.keys(GOLDEN_CLASSIFIERS)) {
    test(`classifier ${family}`, () => check(family, new EncoderUNetModel(GOLDEN_CLASSIFIERS[family])));
  }
});
