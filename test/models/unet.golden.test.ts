import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { loadStateDict, loadTorchCheckpoint } from "../../lib/io";
import { UNetConfig, UNetModel } from "../../lib/models";
import { GOLDEN_UNETS, fixture, golden, ints, maxAbsDiff, nhwc } from "./golden-helpers";

const CASES: { name: string; file: string; config: UNetConfig }[] = [
  { name: "class-cond AdaGN, BigGAN up/down, new attention order, num_head_channels, learn_sigma (float32 file)", file: "unet_adagn_updown_new.pt", config: GOLDEN_UNETS.unet_adagn_updown_new },
  { name: "same model from its float16 file", file: "unet_adagn_updown_new.f16.pt", config: GOLDEN_UNETS.unet_adagn_updown_new },
  { name: "legacy attention order, num_heads 2, fractional channel_mult, pooling resample", file: "unet_legacy_heads_frac.f16.pt", config: GOLDEN_UNETS.unet_legacy_heads_frac },
  { name: "plain variant: additive embedding, conv resample", file: "unet_plain_convresample.f16.pt", config: GOLDEN_UNETS.unet_plain_convresample },
];

beforeAll(async () => {
  await initBackend("wasm");
});

describe("UNetModel reproduces guided-diffusion", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const g = golden(c.file.replace(/(\.f16)?\.pt$/, ""));
      const model = new UNetModel(c.config);
      loadStateDict(model, loadTorchCheckpoint(fixture(c.file)), { source: c.file });
      const x = nhwc(g.get("x")!);
      const t = ints(g.get("t")!);
      const y = g.has("y") ? ints(g.get("y")!) : undefined;
      const expected = nhwc(g.get("out")!);
      const out = model.forward(x, t, y);
      expect(out.shape).toEqual(expected.shape);
      expect(await maxAbsDiff(out, expected)).toBeLessThan(1e-4);
      tf.dispose([x, t, y, expected, out]);
      model.dispose();
    });
  }
});

test("forward accepts NCHW with {dataFormat: \"NCHW\"} and returns NCHW", async () => {
  const g = golden("unet_plain_convresample");
  const model = new UNetModel(CASES[3].config);
  loadStateDict(model, loadTorchCheckpoint(fixture(CASES[3].file)));
  const rec = g.get("x")!;
  const x = tf.tensor4d(rec.data as Float32Array, rec.shape as [number, number, number, number]);
  const t = ints(g.get("t")!);
  const out = model.forward(x, t, undefined, { dataFormat: "NCHW" });
  const expected = tf.tensor(g.get("out")!.data as Float32Array, g.get("out")!.shape);
  expect(await maxAbsDiff(out, expected)).toBeLessThan(1e-4);
  expect(() => model.forward(x, t)).toThrow(/x must be \[N, H, W, 3\] \(NHWC; pass \{dataFormat: "NCHW"\}/);
  expect(() => model.forward(tf.zeros([2, 8, 8, 3]) as tf.Tensor4D, t, t)).toThrow(/unconditional \(class_cond False\): do not pass y/);
  tf.dispose([x, t, out, expected]);
  model.dispose();
});
