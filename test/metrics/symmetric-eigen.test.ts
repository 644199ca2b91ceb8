import { computeStatistics } from "../../lib/metrics/statistics";
import { symmetricEigen } from "../../lib/metrics/symmetric-eigen";

function randomSymmetric(d: number, seed: number): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const v = Math.sin(seed + i * 12.9898 + j * 78.233) * 3;
      a[i * d + j] = v;
      a[j * d + i] = v;
    }
  }
  return a;
}

describe("symmetricEigen", () => {
  test.each([1, 2, 3, 10, 64])("A v = lambda v with orthonormal v, d = %i", (d) => {
    const a = randomSymmetric(d, d);
    const { values, vectorRows } = symmetricEigen(a, d, true);
    const v = vectorRows as Float64Array;
    for (let k = 0; k < d; k++) {
      for (let i = 0; i < d; i++) {
        let av = 0;
        for (let j = 0; j < d; j++) av += a[i * d + j] * v[k * d + j];
        expect(Math.abs(av - values[k] * v[k * d + i])).toBeLessThan(1e-12 * d);
      }
      for (let l = 0; l < d; l++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += v[k * d + j] * v[l * d + j];
        expect(Math.abs(dot - (k === l ? 1 : 0))).toBeLessThan(1e-12 * d);
      }
    }
  });

  test("eigenvalues alone match those with vectors, and their sum is the trace", () => {
    const d = 40;
    const a = randomSymmetric(d, 5);
    const withVectors = Array.from(symmetricEigen(a, d, true).values).sort((x, y) => x - y);
    const alone = Array.from(symmetricEigen(a, d, false).values).sort((x, y) => x - y);
    alone.forEach((x, i) => expect(x).toBeCloseTo(withVectors[i], 11));
    let tr = 0;
    for (let i = 0; i < d; i++) tr += a[i * d + i];
    expect(alone.reduce((s, x) => s + x, 0)).toBeCloseTo(tr, 10);
  });

  test("known spectrum: diagonal and rank-one matrices", () => {
    expect(Array.from(symmetricEigen(Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3).values).sort()).toEqual([-1, 2, 3]);
    // u u^T with |u|^2 = 14 has eigenvalues 14, 0, 0
    const u = [1, 2, 3];
    const uu = Float64Array.from(u.flatMap((x) => u.map((y) => x * y)));
    const vals = Array.from(symmetricEigen(uu, 3).values).sort((x, y) => x - y);
    expect(vals[0]).toBeCloseTo(0, 12);
    expect(vals[1]).toBeCloseTo(0, 12);
    expect(vals[2]).toBeCloseTo(14, 12);
  });

  test("rank-deficient covariance with constant features and variances over 8 decades converges", () => {
    // 60 samples in 200 dims: rank 59, so 141 eigenvalues are ~0 next to entries of size ~1e4; the
    // zero cluster only deflates with a norm-relative test (this failed before that test existed).
    const [n, d] = [60, 200];
    let state = 1;
    const uniform = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 3; j < d; j++) x[i * d + j] = (uniform() - 0.5) * 10 ** ((j % 9) - 4);
    const a = computeStatistics({ data: x, shape: [n, d] }).sigma;
    const { values, vectorRows } = symmetricEigen(a, d, true);
    const v = vectorRows as Float64Array;
    const norm = Math.max(...Array.from(values, Math.abs));
    let worst = 0;
    for (let k = 0; k < d; k++) {
      for (let i = 0; i < d; i++) {
        let av = 0;
        for (let j = 0; j < d; j++) av += a[i * d + j] * v[k * d + j];
        worst = Math.max(worst, Math.abs(av - values[k] * v[k * d + i]));
      }
    }
    expect(worst).toBeLessThan(1e-12 * norm);
    expect(Array.from(values).filter((l) => Math.abs(l) < 1e-12 * norm)).toHaveLength(d - (n - 1));
  });

  test("a wrong size is an error naming the shape", () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/2x2 = 4/);
  });
});
