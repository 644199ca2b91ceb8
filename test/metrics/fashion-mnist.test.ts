import { initBackend } from "../../lib/backend";
import { loadFashionMnist } from "../../lib/data/fashion-mnist";
import { evaluateFeatures } from "../../lib/metrics/evaluate";
import { pixelFeatureExtractor } from "../../lib/metrics/extractors";
import { extractFeatures, Uint8Images } from "../../lib/metrics/feature-extractor";

beforeAll(async () => {
  await initBackend("wasm");
});

test("Fashion-MNIST against itself scores well; uniform noise scores terribly (random-projection pixel features)", async () => {
  const half = 1000;
  const data = loadFashionMnist("test", { limit: 2 * half });
  const set = (pixels: Uint8Array): Uint8Images => ({ data: pixels, shape: [half, 28, 28, 1] });
  const first = set(data.images.subarray(0, half * 784));
  const second = set(data.images.subarray(half * 784, 2 * half * 784));
  let state = 12345;
  const noise = set(Uint8Array.from({ length: half * 784 }, () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24));

  const extractor = pixelFeatureExtractor({ projection: 64, seed: 1 });
  const [a, b, c] = [
    await extractFeatures(extractor, first, { batchSize: 500 }),
    await extractFeatures(extractor, second, { batchSize: 500 }),
    await extractFeatures(extractor, noise, { batchSize: 500 }),
  ];
  extractor.dispose();
  const same = evaluateFeatures(b, a);
  const bad = evaluateFeatures(c, a);
  // Two halves of one distribution: FID is only finite-sample noise, a small fraction of the noise
  // images' FID; precision and recall are high (k = 3 balls on 1000 points cover most of a fresh draw).
  expect(same.fid).toBeLessThan(0.02 * bad.fid);
  expect(same.precision).toBeGreaterThan(0.7);
  expect(same.recall).toBeGreaterThan(0.7);
  expect(bad.precision).toBeLessThan(0.05);
  expect(bad.recall).toBeLessThan(0.05);
  expect(same.sfid).toBeUndefined();
  expect(same.inceptionScore).toBeUndefined();
});
