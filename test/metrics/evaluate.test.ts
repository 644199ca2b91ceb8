import { initBackend } from "../../lib/backend";
import { evaluateFeatures } from "../../lib/metrics/evaluate";
import { FeatureMatrix } from "../../lib/metrics/feature-matrix";
import { matrix } from "./reference";

beforeAll(async () => {
  await initBackend("wasm");
});

// Six points in the plane (a non-degenerate covariance) and copies of them moved by (dx, dy).
const POINTS = [0, 0, 1, 0, 0, 1, 1, 1, 2, 0, 0, 3];
const moved = (dx: number, dy: number): FeatureMatrix =>
  matrix(
    POINTS.map((v, i) => v + (i % 2 === 0 ? dx : dy)),
    6,
    2,
  );

/** Mean and ddof-1 covariance [a, b; b, c] of 2-D points, by hand in float64. */
function meanAndCovariance(m: FeatureMatrix): { mu: [number, number]; a: number; b: number; c: number } {
  const n = m.shape[0];
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) [mx, my] = [mx + m.data[2 * i] / n, my + m.data[2 * i + 1] / n];
  let a = 0,
    b = 0,
    c = 0;
  for (let i = 0; i < n; i++) {
    const [u, v] = [m.data[2 * i] - mx, m.data[2 * i + 1] - my];
    [a, b, c] = [a + (u * u) / (n - 1), b + (u * v) / (n - 1), c + (v * v) / (n - 1)];
  }
  return { mu: [mx, my], a, b, c };
}

/**
 * FID between N(mu, S) and N(nu, I) in 2-D: |mu - nu|^2 + tr S + 2 - 2 tr S^(1/2), where for a 2 x 2
 * positive definite S, tr S^(1/2) = sqrt(tr S + 2 sqrt(det S)) (the eigenvalues' square roots summed).
 */
function fidAgainstIdentity(m: FeatureMatrix, nu: [number, number]): number {
  const { mu, a, b, c } = meanAndCovariance(m);
  const trace = a + c,
    det = a * c - b * b;
  return (mu[0] - nu[0]) ** 2 + (mu[1] - nu[1]) ** 2 + trace + 2 - 2 * Math.sqrt(trace + 2 * Math.sqrt(det));
}

/**
 * Class probabilities softmax([z, 0]) for class 0 and softmax([0, z]) for class 1, in float64:
 * the chosen class gets p = 1 / (1 + e^-z), the other 1 - p.
 */
function softmaxTable(z: number, classes: number[]): FeatureMatrix {
  const p = 1 / (1 + Math.exp(-z));
  return matrix(
    classes.flatMap((k) => (k === 0 ? [p, 1 - p] : [1 - p, p])),
    classes.length,
    2,
  );
}

describe("evaluateFeatures", () => {
  test("identical sets: FID and sFID 0, precision and recall 1; IS per split in closed form", () => {
    const z = 1.5,
      p = 1 / (1 + Math.exp(-z));
    // splitSize 4: rows 0-3 are two of each class, so p(y) = (1/2, 1/2) and every row's KL is
    // p ln 2p + (1 - p) ln 2(1 - p); rows 4-5 are both class 0, p(y) is their own row, KL 0, IS 1.
    const probs = softmaxTable(z, [0, 1, 0, 1, 0, 0]);
    const balanced = Math.exp(p * Math.log(2 * p) + (1 - p) * Math.log(2 * (1 - p)));
    const set = { pooled: moved(0, 0), spatial: moved(5, -2) };
    const r = evaluateFeatures({ ...set, probs }, set, { splitSize: 4 });
    expect(r.fid).toBeCloseTo(0, 10);
    expect(r.sfid).toBeCloseTo(0, 10);
    expect(r.precision).toBe(1);
    expect(r.recall).toBe(1);
    expect(r.inceptionScore).toBeCloseTo((balanced + 1) / 2, 12);
  });

  test("a far copy: FID is the squared distance of the means, precision and recall 0", () => {
    // same covariance S on both sides: tr(S + S - 2 (S S)^(1/2)) = 0, leaving |dmu|^2 = 30^2 + 40^2
    const r = evaluateFeatures({ pooled: moved(30, -40), spatial: moved(3, 4) }, { pooled: moved(0, 0), spatial: moved(0, 0) });
    expect(r.fid).toBeCloseTo(2500, 8);
    expect(r.sfid).toBeCloseTo(25, 10);
    expect(r.precision).toBe(0);
    expect(r.recall).toBe(0);
    expect(r.inceptionScore).toBeUndefined();
  });

  test("k reaches precision and recall: fake points inside a k-th-neighbour ball count", () => {
    // real 0..4 on a line; fake 0.5, 2, 5.5, 20, 21, 22.
    // k = 1: real radii 1 (squared); 0.5 (0.25) and 2 (0) are inside, 5.5 is 2.25 from 4: precision 2/6.
    // k = 3 (the default): the radius of 4 is 3^2 = 9 >= 2.25, so 5.5 is inside too: precision 3/6.
    // recall is 1 for both: every real point is within 1.5 of 0.5 or 2, or (4) within 1.5 of 5.5,
    // and the fake radii are at least 2.25 (k = 1, 0.5 and 2 are 1.5 apart; 5.5 is 3.5 from 2).
    const line = (xs: number[]) => matrix(xs, xs.length, 1);
    const real = { pooled: line([0, 1, 2, 3, 4]) },
      fake = { pooled: line([0.5, 2, 5.5, 20, 21, 22]) };
    const k1 = evaluateFeatures(fake, real, { k: 1, batchSize: 4 });
    expect([k1.precision, k1.recall]).toEqual([2 / 6, 1]);
    const k3 = evaluateFeatures(fake, real);
    expect([k3.precision, k3.recall]).toEqual([3 / 6, 1]);
  });

  test("stored reference statistics replace computed ones for FID and sFID, not for precision and recall", () => {
    const samples = { pooled: moved(1, 2), spatial: moved(-1, 0) };
    const stored = { mu: Float64Array.from([10, 10]), sigma: Float64Array.from([1, 0, 0, 1]) };
    const r = evaluateFeatures(samples, samples, { referenceStats: stored, referenceSpatialStats: stored });
    expect(r.fid).toBeCloseTo(fidAgainstIdentity(samples.pooled, [10, 10]), 10);
    expect(r.sfid).toBeCloseTo(fidAgainstIdentity(samples.spatial, [10, 10]), 10);
    // precision and recall still compare against the reference features, here the samples themselves
    expect([r.precision, r.recall]).toEqual([1, 1]);
  });
});
