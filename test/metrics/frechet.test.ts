import { computeStatistics, GaussianStatistics } from "../../lib/metrics/statistics";
import { frechetDistance } from "../../lib/metrics/frechet";
import { matrix, reference } from "./reference";

function diagonal(mu: number[], variances: number[]): GaussianStatistics {
  const d = mu.length;
  const sigma = new Float64Array(d * d);
  variances.forEach((v, i) => (sigma[i * d + i] = v));
  return { mu: Float64Array.from(mu), sigma };
}

/** Rotate N(mu, sigma) by the orthogonal Q: N(Q mu, Q sigma Q^T). */
function rotate(s: GaussianStatistics, q: number[][]): GaussianStatistics {
  const d = s.mu.length;
  const mu = new Float64Array(d);
  const sigma = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) mu[i] += q[i][k] * s.mu[k];
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let k = 0; k < d; k++) for (let l = 0; l < d; l++) v += q[i][k] * s.sigma[k * d + l] * q[j][l];
      sigma[i * d + j] = v;
    }
  }
  return { mu, sigma };
}

describe("frechetDistance", () => {
  test("closed form for diagonal (commuting) covariances: |dmu|^2 + sum (sqrt a - sqrt b)^2", () => {
    const a = diagonal([1, 2, 3, -1], [4, 1, 0.25, 9]);
    const b = diagonal([0, 2, 1, 1], [1, 1, 4, 16]);
    const expected = 1 + 0 + 4 + 4 + (2 - 1) ** 2 + 0 + (0.5 - 2) ** 2 + (3 - 4) ** 2;
    expect(frechetDistance(a, b)).toBeCloseTo(expected, 12);
    expect(frechetDistance(b, a)).toBeCloseTo(expected, 12);
  });

  test("invariant under a common rotation (commuting but non-diagonal covariances)", () => {
    const c = Math.cos(0.7),
      s = Math.sin(0.7);
    const q = [
      [c, -s, 0],
      [s, c, 0],
      [0, 0, 1],
    ];
    const a = diagonal([1, 0, 0], [4, 9, 1]);
    const b = diagonal([0, 0, 2], [1, 1, 1]);
    const expected = 1 + 4 + (2 - 1) ** 2 + (3 - 1) ** 2 + 0;
    expect(frechetDistance(rotate(a, q), rotate(b, q))).toBeCloseTo(expected, 12);
  });

  test("zero for identical statistics, including singular ones", () => {
    const a = diagonal([1, 2, 3], [2, 0, 5]);
    expect(Math.abs(frechetDistance(a, a))).toBeLessThan(1e-12);
  });

  test("eps adds to both diagonals inside the square root only, as the references' fallback", () => {
    const a = diagonal([0, 0], [4, 0]);
    const b = diagonal([0, 0], [1, 0]);
    const eps = 1e-2;
    const expected = 4 + 1 - 2 * (Math.sqrt((4 + eps) * (1 + eps)) + eps);
    expect(frechetDistance(a, b, { eps })).toBeCloseTo(expected, 12);
  });

  test.each(reference.fid.map((c) => [c.name, c] as const))("matches SciPy sqrtm reference: %s", (_, c) => {
    const sa = computeStatistics(matrix(c.a, c.n_a, c.d));
    const sb = computeStatistics(matrix(c.b, c.n_b, c.d));
    sa.mu.forEach((v, i) => expect(v).toBeCloseTo(c.mu_a[i], 12));
    sa.sigma.forEach((v, i) => expect(Math.abs(v - c.sigma_a[i])).toBeLessThan(1e-12 * (1 + Math.abs(c.sigma_a[i]))));
    const fid = frechetDistance(sa, sb);
    expect(Math.abs(fid - c.fid) / c.fid).toBeLessThan(1e-6);
  });

  test("errors name what is wrong", () => {
    const a = diagonal([0, 0], [1, 1]);
    expect(() => frechetDistance(a, diagonal([0, 0, 0], [1, 1, 1]))).toThrow(/mean lengths differ \(2 vs 3\)/);
    expect(() => frechetDistance(a, diagonal([0, NaN], [1, 1]))).toThrow(/b\.mu\[1\] is NaN/);
    expect(() => frechetDistance(diagonal([0, 0], [1, -1]), a)).toThrow(/sigma1 has eigenvalue -1/);
    expect(() => frechetDistance(a, diagonal([0, 0], [1, -1]))).toThrow(/sigma2 is not positive semi-definite/);
  });
});

describe("computeStatistics", () => {
  test("mean and ddof-1 covariance of a small set by hand", () => {
    // rows (1,2), (3,6), (5,4): mean (3,4); deviations (-2,-2), (0,2), (2,0)
    const s = computeStatistics(matrix([1, 2, 3, 6, 5, 4], 3, 2));
    expect(Array.from(s.mu)).toEqual([3, 4]);
    expect(Array.from(s.sigma)).toEqual([4, 2, 2, 4]);
  });

  test("fewer than two samples is an error", () => {
    expect(() => computeStatistics(matrix([1, 2], 1, 2))).toThrow(/at least 2 samples/);
  });
});
