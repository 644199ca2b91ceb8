import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { modelFeatureExtractor, pixelFeatureExtractor } from "../../lib/metrics/extractors";
import { extractFeatures } from "../../lib/metrics/feature-extractor";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("extractFeatures", () => {
  test("uint8 images are mapped to [-1, 1] and gathered in order across batches", async () => {
    const pixels = Uint8Array.from([0, 255, 51, 102, 153, 204]);
    const onProgress = jest.fn();
    const f = await extractFeatures(pixelFeatureExtractor(), { data: pixels, shape: [3, 1, 2, 1] }, { batchSize: 2, onProgress });
    expect(f.pooled.shape).toEqual([3, 2]);
    Array.from(pixels).forEach((v, i) => expect(f.pooled.data[i]).toBeCloseTo(v / 127.5 - 1, 6));
    expect(onProgress.mock.calls).toEqual([
      [2, 3],
      [3, 3],
    ]);
  });

  test("no tensors leak", async () => {
    const images = tf.randomUniform([5, 4, 4, 3], -1, 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const model = modelFeatureExtractor((x) => ({ features: tf.mean(x, [1, 2]), logits: tf.sum(x, [1, 2]) }), { name: "mean" });
    await extractFeatures(model, images, { batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
  });

  test("a bad image shape is an error naming it", async () => {
    await expect(extractFeatures(pixelFeatureExtractor(), { data: new Uint8Array(5), shape: [1, 2, 2, 1] })).rejects.toThrow(
      /5 bytes but shape \[1,2,2,1\] needs 4/,
    );
  });
});

describe("pixelFeatureExtractor", () => {
  test("a random projection is fixed by its seed and roughly preserves distances (Johnson-Lindenstrauss)", async () => {
    const images = tf.randomNormal([40, 8, 8, 1], 0, 1, "float32", 5) as tf.Tensor4D;
    const p1 = pixelFeatureExtractor({ projection: 256, seed: 3 });
    const p2 = pixelFeatureExtractor({ projection: 256, seed: 3 });
    const [a, b] = [await extractFeatures(p1, images), await extractFeatures(p2, images)];
    expect(Array.from(a.pooled.data)).toEqual(Array.from(b.pooled.data));
    const raw = images.dataSync();
    const dist = (x: ArrayLike<number>, i: number, j: number, d: number) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += (x[i * d + k] - x[j * d + k]) ** 2;
      return s;
    };
    let ratio = 0;
    for (let i = 1; i < 40; i++) ratio += dist(a.pooled.data, 0, i, 256) / dist(raw, 0, i, 64);
    expect(ratio / 39).toBeGreaterThan(0.85);
    expect(ratio / 39).toBeLessThan(1.15);
    p1.dispose();
    p2.dispose();
    images.dispose();
  });
});

describe("modelFeatureExtractor", () => {
  test("a function returning features and logits: pooled = features, probs = softmax(logits)", async () => {
    const images = tf.tensor4d([0.5, -0.5, 1, 0], [2, 1, 2, 1]);
    const ex = modelFeatureExtractor((x) => [tf.reshape(x, [2, 2]), tf.mul(tf.reshape(x, [2, 2]), 2)], { name: "double" });
    const f = await extractFeatures(ex, images);
    expect(Array.from(f.pooled.data)).toEqual([0.5, -0.5, 1, 0]);
    // logits (1, -1) and (2, 0)
    expect(f.probs!.data[0]).toBeCloseTo(Math.exp(1) / (Math.exp(1) + Math.exp(-1)), 6);
    expect(f.probs!.data[2]).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 1), 6);
    images.dispose();
  });

  test("a tf.LayersModel with a features output only, resized input", async () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: flat });
    const ex = modelFeatureExtractor(model, { name: "flat", inputSize: [4, 4] });
    const images = tf.ones([3, 2, 2, 1]) as tf.Tensor4D;
    const f = await extractFeatures(ex, images);
    expect(f.pooled.shape).toEqual([3, 16]);
    expect(f.probs).toBeUndefined();
    expect(() => ex.probs!(images)).toThrow(/"flat" has no probs output/);
    images.dispose();
    model.dispose();
  });
});
