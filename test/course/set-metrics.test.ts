/**
 * Metrics of sample sets against the Fashion-MNIST test set: a set against itself (FID 0, precision
 * and recall 1), the wiring checked against the metrics computed by hand from the engine's
 * features, the cache on disk, and the FID spread of disjoint draws against the 1-D closed form
 * FID = (m1 - m2)^2 + (s1 - s2)^2 (standard deviations, n - 1 in the variance).
 */
import { mkdtempSync, readdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { initBackend } from "../../lib/backend";
import { engineFeatures } from "../../lib/course/features-on-engine";
import { FASHION_FEATURES_DIR, fashionReference, fashionSetMetrics, fidSpread, realFidSpread, trainingSetMetrics } from "../../lib/course/set-metrics";
import { loadFashionMnist } from "../../lib/data/fashion-mnist";
import { readNpz } from "../../lib/io/npz";
import { computeStatistics, frechetDistance, precisionRecall, type FeatureMatrix, type Uint8Images } from "../../lib/metrics/index";

beforeAll(async () => {
  await initBackend("wasm");
});

const cacheDir = mkdtempSync(join(tmpdir(), "set-metrics-"));
const opts = { cacheDir, referenceCount: 120, threads: 1 };

function images(split: "train" | "test", from: number, to: number): Uint8Images {
  const d = loadFashionMnist(split);
  return { data: d.images.subarray(from * 784, to * 784), shape: [to - from, 28, 28, 1] };
}

describe("fashionSetMetrics", () => {
  it("scores the reference against itself as FID 0, precision and recall 1, and caches its features on disk", async () => {
    const m = await fashionSetMetrics(images("test", 0, 120), opts);
    expect(Math.abs(m.fid)).toBeLessThan(1e-6);
    expect([m.precision, m.recall, m.n, m.referenceN, m.sfid, m.inceptionScore]).toEqual([1, 1, 120, 120, undefined, undefined]);
    const files = readdirSync(cacheDir).filter((f) => f.startsWith("fashion-test-120-"));
    expect(files.length).toBe(1);
    const cached = readNpz(join(cacheDir, files[0])).get("pooled")!;
    const direct = await engineFeatures(FASHION_FEATURES_DIR, images("test", 0, 120), { threads: 1 });
    expect(Array.from(cached.data as Float32Array)).toEqual(Array.from(direct.pooled.data));
  }, 60000);

  it("equals FID, precision and recall computed from the engine's features directly", async () => {
    const set = images("test", 200, 260);
    const m = await fashionSetMetrics(set, opts);
    const a = await engineFeatures(FASHION_FEATURES_DIR, set, { threads: 1 });
    const ref = await engineFeatures(FASHION_FEATURES_DIR, images("test", 0, 120), { threads: 1 });
    const fid = frechetDistance(computeStatistics(a.pooled), computeStatistics(ref.pooled));
    expect(m.fid).toBeCloseTo(fid, 8);
    expect(m.fid).toBeGreaterThan(0.1); // other images: not 0
    expect({ precision: m.precision, recall: m.recall }).toEqual(precisionRecall(ref.pooled, a.pooled));
  }, 60000);

  it("the training-set floor is the first n training images' metrics; the spread is over disjoint blocks of them", async () => {
    const floor = await trainingSetMetrics(40, opts);
    const ref = await fashionReference("test", 120, opts);
    const train = await engineFeatures(FASHION_FEATURES_DIR, images("train", 0, 80), { threads: 1 });
    const block = (k: number): FeatureMatrix => ({ data: train.pooled.data.subarray(k * 40 * 352, (k + 1) * 40 * 352), shape: [40, 352] });
    expect(floor.fid).toBeCloseTo(frechetDistance(computeStatistics(block(0)), ref.stats), 8);
    const spread = await realFidSpread(40, { ...opts, draws: 2 });
    expect(spread.fids[0]).toBeCloseTo(floor.fid, 8);
    expect(spread.fids[1]).toBeCloseTo(frechetDistance(computeStatistics(block(1)), ref.stats), 8);
  }, 60000);
});

describe("fidSpread", () => {
  /** a one-column feature matrix */
  const column = (xs: number[]): FeatureMatrix => ({ data: Float64Array.from(xs), shape: [xs.length, 1] });
  const meanVar = (xs: number[]): [number, number] => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return [m, xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)];
  };

  it("gives each disjoint block's 1-D Frechet distance (m1 - m2)^2 + (s1 - s2)^2, their mean and standard deviation", () => {
    const refXs = [0, 1, 2, 3, 4, 5, 6, 7];
    const pool = [0, 2, 4, 6, 1, 1.5, 2, 2.5, 10, 11, 12, 13.5, 99];
    const refFeatures = column(refXs);
    const reference = { features: { pooled: refFeatures }, stats: computeStatistics(refFeatures) };
    const s = fidSpread(column(pool), reference, 4, 3);
    const [mr, vr] = meanVar(refXs);
    const expected = [0, 4, 8].map((k) => {
      const [m, v] = meanVar(pool.slice(k, k + 4));
      return (m - mr) ** 2 + (Math.sqrt(v) - Math.sqrt(vr)) ** 2;
    });
    s.fids.forEach((f, i) => expect(f).toBeCloseTo(expected[i], 10));
    const mean = (expected[0] + expected[1] + expected[2]) / 3;
    expect(s.mean).toBeCloseTo(mean, 10);
    expect(s.std).toBeCloseTo(Math.sqrt(expected.reduce((a, f) => a + (f - mean) ** 2, 0) / 2), 10);
    expect(s.precisions.length).toBe(3);
  });

  it("refuses draws that do not fit the pool", () => {
    const m = column([0, 1, 2, 3, 4, 5, 6, 7]);
    const reference = { features: { pooled: m }, stats: computeStatistics(m) };
    expect(() => fidSpread(m, reference, 4, 3)).toThrow(/3 disjoint draws of 4 need 12 rows; the pool has 8/);
    expect(() => fidSpread(m, reference, 4, 1)).toThrow(/a spread needs at least 2 draws/);
  });
});
