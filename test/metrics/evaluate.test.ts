import { initBackend } from "../../lib/backend";
import { evaluateFeatures } from "../../lib/metrics/evaluate";
import { frechetDistance } from "../../lib/metrics/frechet";
import { computeStatistics } from "../../lib/metrics/statistics";
import { matrix } from "./reference";

beforeAll(async () => {
  await initBackend("wasm");
});

const grid = (offset: number) => matrix(Array.from({ length: 12 }, (_, i) => (i % 3) * (i % 5) + offset * (i % 2)), 6, 2);

test("every metric the features allow; stored reference statistics replace computed ones", () => {
  const samples = { pooled: grid(1), spatial: grid(2), probs: matrix([1, 0, 0, 1, 1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5], 6, 2) };
  const reference = { pooled: grid(0), spatial: grid(0) };
  const r = evaluateFeatures(samples, reference);
  expect(r.fid).toBeCloseTo(frechetDistance(computeStatistics(samples.pooled), computeStatistics(reference.pooled)), 12);
  expect(r.sfid).toBeCloseTo(frechetDistance(computeStatistics(samples.spatial), computeStatistics(reference.spatial)), 12);
  expect(r.inceptionScore).toBeGreaterThan(1);
  expect(r.precision).toBeGreaterThanOrEqual(0);
  const stored = { mu: Float64Array.from([10, 10]), sigma: Float64Array.from([1, 0, 0, 1]) };
  const withStored = evaluateFeatures(samples, reference, { referenceStats: stored, referenceSpatialStats: stored });
  expect(withStored.fid).toBeCloseTo(frechetDistance(computeStatistics(samples.pooled), stored), 12);
  expect(withStored.sfid).toBeCloseTo(frechetDistance(computeStatistics(samples.spatial), stored), 12);
  expect(withStored.precision).toBe(r.precision); // precision/recall always use the reference features
});
