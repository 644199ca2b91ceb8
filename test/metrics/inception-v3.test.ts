import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { initBackend } from "../../lib/backend";
import { writeSafetensors } from "../../lib/io/safetensors";
import { float32Record } from "../../lib/io/tensor-record";
import { inceptionFeatureExtractor } from "../../lib/metrics/extractors";
import { extractFeatures } from "../../lib/metrics/feature-extractor";
import { inceptionConvs, inceptionForward, inceptionInput } from "../../lib/metrics/inception-v3";
import { countInceptionParameters, loadInceptionV3, readInceptionV3 } from "../../lib/metrics/inception-weights";
import { generatedInceptionWeights } from "./inception-golden-weights";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("FID InceptionV3 structure", () => {
  test("parameter count equals torchvision's Inception3 without AuxLogits, with 1008 classes", () => {
    // torchvision: 27,161,264 with AuxLogits (3,326,696) and 1000 classes; 8 more classes add 8 * 2049
    expect(countInceptionParameters()).toBe(27161264 - 3326696 + 8 * 2049);
  });

  test("layer shapes at the block boundaries", () => {
    const convs = new Map(inceptionConvs().map((c) => [c.name, c]));
    expect(convs.size).toBe(94);
    // the input channels of each block's first conv are the previous block's output width
    const widths: Array<[string, number]> = [
      ["Mixed_5b.branch1x1", 192],
      ["Mixed_5c.branch1x1", 256],
      ["Mixed_5d.branch1x1", 288],
      ["Mixed_6a.branch3x3", 288],
      ["Mixed_6b.branch1x1", 768],
      ["Mixed_6e.branch1x1", 768],
      ["Mixed_7a.branch3x3_1", 768],
      ["Mixed_7b.branch1x1", 1280],
      ["Mixed_7c.branch1x1", 2048],
      ["Mixed_7c.branch3x3_2b", 384],
      ["Mixed_7c.branch3x3dbl_3a", 384],
    ];
    for (const [name, inChannels] of widths) expect([name, convs.get(name)?.inChannels]).toEqual([name, inChannels]);
    expect(convs.get("Mixed_6d.branch7x7_2")?.kernel).toEqual([1, 7]);
  });

  test("input: grey is repeated to RGB, any size becomes 299x299, [-1, 1] maps to (v - 128) / 128", () => {
    const grey = tf.fill([1, 5, 5, 1], 1) as tf.Tensor4D;
    const x = inceptionInput(grey);
    expect(x.shape).toEqual([1, 299, 299, 3]);
    expect(x.max().dataSync()[0]).toBeCloseTo(127 / 128, 6);
    expect(x.min().dataSync()[0]).toBeCloseTo(127 / 128, 6);
    tf.dispose([grey, x]);
  });
});

describe("FID InceptionV3 weights and forward pass", () => {
  const dir = mkdtempSync(join(tmpdir(), "inception-"));
  const weights = generatedInceptionWeights();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("safetensors round trip, folded batch norm, output shapes", async () => {
    const path = join(dir, "random-inception.safetensors");
    writeSafetensors(path, weights);
    const fromMemory = loadInceptionV3(weights, "memory");
    const fromFile = readInceptionV3(path);
    // folding: kernel'[y][x][i][o] = w[o][i][y][x] * gamma[o] / sqrt(var[o] + 1e-3)
    const w = weights.get("Conv2d_2a_3x3.conv.weight")!.data as Float32Array;
    const gamma = weights.get("Conv2d_2a_3x3.bn.weight")!.data[5] as number;
    const variance = weights.get("Conv2d_2a_3x3.bn.running_var")!.data[5] as number;
    const folded = fromFile.convs.get("Conv2d_2a_3x3")!.kernel.arraySync();
    expect(folded[2][1][4][5]).toBeCloseTo((w[((5 * 32 + 4) * 3 + 2) * 3 + 1] * gamma) / Math.sqrt(variance + 1e-3), 6);

    for (const [name, conv] of fromMemory.convs) {
      const other = fromFile.convs.get(name)!;
      expect([name, tf.equal(conv.kernel, other.kernel).all().dataSync()[0], tf.equal(conv.bias, other.bias).all().dataSync()[0]]).toEqual([name, 1, 1]);
    }
    fromMemory.dispose();

    const images = tf.randomUniform([1, 32, 32, 3], -1, 1, "float32", 3) as tf.Tensor4D;
    const out = inceptionForward(fromFile, images);
    expect([out.pool3.shape, out.spatial.shape, out.logits.shape]).toEqual([
      [1, 2048],
      [1, 17 * 17 * 7],
      [1, 1008],
    ]);
    expect(out.spatial.min().dataSync()[0]).toBeGreaterThanOrEqual(0); // a ReLU output
    const features = await extractFeatures(inceptionFeatureExtractor(fromFile), images);
    expect(Array.from(features.pooled.data)).toEqual(Array.from(out.pool3.dataSync()));
    expect(features.spatial?.shape).toEqual([1, 2023]);
    expect(features.probs?.shape).toEqual([1, 1008]);
    expect(features.probs!.data.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    tf.dispose([images, out.pool3, out.spatial, out.logits]);
    fromFile.dispose();
  });

  test("wrong files are errors naming the key and what was expected", () => {
    const missing = new Map(weights);
    missing.delete("Mixed_7c.branch_pool.conv.weight");
    expect(() => loadInceptionV3(missing, "x.safetensors")).toThrow(
      "x.safetensors: not FID InceptionV3 weights; missing 1 of 472 keys (Mixed_7c.branch_pool.conv.weight)",
    );
    const wrong = new Map(weights);
    wrong.set("fc.bias", float32Record([1000], new Float32Array(1000)));
    expect(() => loadInceptionV3(wrong, "y.npz")).toThrow("y.npz: fc.bias has shape [1000], expected [1008]");
    expect(() => readInceptionV3("weights.h5")).toThrow(/unknown weights format "\.h5"/);
  });
});
