import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { AdmInputError, loadStateDict, loadTorchCheckpoint, readSafetensors, stateDict, writeSafetensors } from "../../lib/io";
import { UNetConfig, UNetModel } from "../../lib/models";

const CKPT = path.resolve(__dirname, "../fixtures/models/unet_adagn_updown_new.pt");
const CONFIG: UNetConfig = {
  imageSize: 8,
  inChannels: 3,
  numResBlocks: 0,
  channelMult: [1, 1],
  modelChannels: 32,
  outChannels: 6,
  attentionResolutions: [2],
  numClasses: 10,
  numHeadChannels: 16,
  useScaleShiftNorm: true,
  resblockUpdown: true,
  useNewAttentionOrder: true,
};

beforeAll(async () => {
  await initBackend("wasm");
});

describe("stateDict / loadStateDict", () => {
  const dict = loadTorchCheckpoint(CKPT);

  test("stateDict gives back guided-diffusion's keys, order, PyTorch shapes and values", async () => {
    const model = new UNetModel(CONFIG);
    loadStateDict(model, dict);
    const back = await stateDict(model);
    expect([...back.keys()]).toEqual([...dict.keys()]);
    for (const [k, r] of dict) {
      expect(back.get(k)!.shape).toEqual(r.shape);
      expect(back.get(k)!.data).toEqual(r.data);
    }
    expect(back.get("input_blocks.0.0.weight")!.shape).toEqual([32, 3, 3, 3]);
    expect(back.get("middle_block.1.qkv.weight")!.shape).toEqual([96, 32, 1]);
    model.dispose();
  });

  test("a model saved to safetensors and loaded into a fresh model gives the same output", async () => {
    const a = new UNetModel(CONFIG);
    loadStateDict(a, dict);
    const file = path.join(mkdtempSync(path.join(tmpdir(), "adm-sd-")), "m.safetensors");
    writeSafetensors(file, await stateDict(a));
    const b = new UNetModel(CONFIG);
    loadStateDict(b, readSafetensors(file).tensors);
    const x = tf.randomNormal([1, 8, 8, 3]) as tf.Tensor4D;
    const t = tf.tensor1d([5], "int32");
    const y = tf.tensor1d([2], "int32");
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a.forward(x, t, y), b.forward(x, t, y)))).dataSync()[0]);
    expect(diff).toBe(0);
    tf.dispose([x, t, y]);
    a.dispose();
    b.dispose();
  });

  test("strict load with resblock_updown False fails, lists the keys and names the flag", () => {
    const model = new UNetModel({ ...CONFIG, resblockUpdown: false });
    let message = "";
    try {
      loadStateDict(model, dict, { source: "unet_adagn_updown_new.pt" });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^unet_adagn_updown_new\.pt: the checkpoint does not fit the UNetModel built from these flags/);
    expect(message).toMatch(
      /missing from the checkpoint \(4\):\n {2}input_blocks\.1\.0\.op\.weight\n {2}input_blocks\.1\.0\.op\.bias\n {2}output_blocks\.0\.2\.conv\.weight/,
    );
    expect(message).toMatch(/unexpected in the checkpoint \(\d+\):\n {2}input_blocks\.1\.0\.in_layers\.0\.weight/);
    expect(message).toMatch(/set resblock_updown True/);
    model.dispose();
  });

  test("hints for class_cond, learn_sigma and use_scale_shift_norm", () => {
    const model = new UNetModel({ ...CONFIG, numClasses: null, outChannels: 3, useScaleShiftNorm: false });
    expect(() => loadStateDict(model, dict)).toThrow(
      /set class_cond True[\s\S]*outputs 6 channels \(eps and variance\): set learn_sigma True[\s\S]*set use_scale_shift_norm True/,
    );
    model.dispose();
  });

  test("a NaN or Inf weight refuses the whole load, naming the file and the key (one NaN weight makes every sample NaN)", () => {
    const model = new UNetModel(CONFIG);
    loadStateDict(model, dict);
    const before = Array.from(model.params.get("out.2.bias")!.dataSync());
    for (const bad of [NaN, Infinity]) {
      const weights = new Float32Array(dict.get("out.2.bias")!.data as Float32Array);
      weights[4] = bad;
      const corrupt = new Map(dict).set("out.2.bias", { dtype: "float32", shape: [6], data: weights });
      let error: unknown;
      try {
        loadStateDict(model, corrupt, { source: "ema.safetensors" });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AdmInputError);
      expect((error as AdmInputError).message).toMatch(
        new RegExp(`^ema\\.safetensors: 1 of its 6 values are not finite \\(the first, at flat index 4, is ${bad}\\) \\(at tensor "out\\.2\\.bias"\\)`),
      );
    }
    expect(Array.from(model.params.get("out.2.bias")!.dataSync())).toEqual(before);
    model.dispose();
  });

  test("non-strict load loads what fits and reports the rest", () => {
    const model = new UNetModel({ ...CONFIG, outChannels: 3 });
    const report = loadStateDict(model, dict, { strict: false });
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.misshaped.map((m) => m.name)).toEqual(["out.2.weight", "out.2.bias"]);
    const w = model.params.get("time_embed.0.weight")!;
    expect(w.shape).toEqual([32, 128]);
    expect(w.dataSync()[1]).toBe((dict.get("time_embed.0.weight")!.data as Float32Array)[32]);
    model.dispose();
  });
});
