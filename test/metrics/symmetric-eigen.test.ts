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

  test("a wrong size is an error naming the shape", () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/2x2 = 4/);
  });
});
