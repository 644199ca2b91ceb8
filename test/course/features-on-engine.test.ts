/**
 * The feature network on ONNX Runtime against the tfjs extractor it stands in for: the same pooled
 * features and class probabilities, on 28x28 Fashion-MNIST images (padded with background) and on
 * 32x32 images passed through.
 */
import { resolve } from "path";
import { initBackend } from "../../lib/backend";
import { courseFeatureExtractor } from "../../lib/course/feature-extractor";
import { engineFeatures } from "../../lib/course/features-on-engine";
import { loadFashionMnist } from "../../lib/data/fashion-mnist";
import { extractFeatures, type Features, type Uint8Images } from "../../lib/metrics/feature-extractor";

const MODELS = resolve(__dirname, "../../models");
const FEATURES = resolve(MODELS, "fashion-features");

beforeAll(async () => {
  await initBackend("wasm");
});

function maxGap(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function both(images: Uint8Images): Promise<[Features, Features]> {
  return [
    await extractFeatures(courseFeatureExtractor(FEATURES), images, { batchSize: 16 }),
    await engineFeatures(FEATURES, images, { threads: 1, batchSize: 7 }),
  ];
}

describe("engineFeatures", () => {
  it("gives the tfjs extractor's features and probabilities on 28x28 test images", async () => {
    const test = loadFashionMnist("test");
    const images: Uint8Images = { data: test.images.subarray(0, 20 * 784), shape: [20, 28, 28, 1] };
    const [tfjs, onnx] = await both(images);
    expect(onnx.pooled.shape).toEqual(tfjs.pooled.shape);
    expect(onnx.pooled.shape).toEqual([20, 352]);
    expect(maxGap(onnx.pooled.data, tfjs.pooled.data)).toBeLessThan(1e-4);
    expect(maxGap(onnx.probs!.data, tfjs.probs!.data)).toBeLessThan(1e-5);
    // the features are not all alike: the comparison above is not of constants
    expect(maxGap(onnx.pooled.data.subarray(0, 352), onnx.pooled.data.subarray(352, 704))).toBeGreaterThan(0.1);
  }, 60000);

  it("passes 32x32 images through unpadded", async () => {
    const data = Uint8Array.from({ length: 5 * 1024 }, (_, i) => (i * 37) % 256);
    const [tfjs, onnx] = await both({ data, shape: [5, 32, 32, 1] });
    expect(maxGap(onnx.pooled.data, tfjs.pooled.data)).toBeLessThan(1e-4);
  }, 60000);

  it("refuses a noisy classifier and images larger than the network", async () => {
    await expect(engineFeatures(resolve(MODELS, "fashion-classifier"), { data: new Uint8Array(1024), shape: [1, 32, 32, 1] })).rejects.toThrow(
      /is a noisy classifier; FID features need one trained on clean images/,
    );
    await expect(engineFeatures(FEATURES, { data: new Uint8Array(2 * 40 * 40), shape: [2, 40, 40, 1] })).rejects.toThrow(
      /images are 40x40, larger than the network's 32x32/,
    );
  });
});
