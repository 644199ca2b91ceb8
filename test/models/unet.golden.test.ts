import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { loadStateDict, loadTorchCheckpoint } from "../../lib/io";
import { UNetConfig, UNetModel } from "../../lib/models";
import { fixture, golden, ints, maxAbsDiff, nhwc } from "./golden-helpers";

// The same constructor arguments make_golden.py passes to guided-diffusion's UNetModel.
const common = { imageSize: 8, inChannels: 3, numResBlocks: 0, channelMult: [1, 1] };
const CASES: { name: string; file: string; config: UNetConfig }[] = [
  {
    name: "class-cond AdaGN, BigGAN up/down, new attention order, num_head_channels, learn_sigma (float32 file)",
    file: "unet_adagn_updown_new.pt",
    config: { ...common, modelChannels: 32, outChannels: 6, attentionResolutions: [2], dropout: 0.1, numClasses: 10, numHeadChannels: 16, useScaleShiftNorm: true, resblockUpdown: true, useNewAttentionOrder: true },
  },
  {
    name: "same model from its float16 file",
    file: "unet_adagn_updown_new.f16.pt",
    config: { ...common, modelChannels: 32, outChannels: 6, attentionResolutions: [2], dropout: 0.1, numClasses: 10, numHeadChannels: 16, useScaleShiftNorm: true, resblockUpdown: true, useNewAttentionOrder: true },
  },
  {
    name: "legacy attention order, num_heads 2, fractional channel_mult, pooling resample",
    file: "unet_legacy_heads_frac.f16.pt",
    config: { ...common, modelChannels: 64, outChannels: 3, attentionResolutions: [1, 2], channelMult: [0.5, 0.5], numHeads: 2, useScaleShiftNorm: true, convResample: false },
  },
  {
    name: "plain variant: additive embedding, conv resample",
    file: "unet_plain_convresample.f16.pt",
    config: { ...common, modelChannels: 32, outChannels: 3, attentionResolutions: [2], numHeads: 1, useScaleShiftNorm: false, convResample: true },
  },
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
