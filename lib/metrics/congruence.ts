/**
 * The congruence transform R S R^T of a symmetric matrix, in float64 with cache-friendly loops.
 * It is the O(d^3) product at the heart of the Frechet distance (see ./frechet).
 */

/**
 * R S R^T for row-major d x d `r` and symmetric `s`; the result is symmetric, so only its lower
 * triangle is computed and then mirrored. Rows are processed four at a time so that each row of `s`
 * read from memory serves four output rows.
 */
export function congruence(r: Float64Array, s: Float64Array, d: number): Float64Array {
  // C = R S, row by row: C[i] = sum_k R[i][k] S[k]
  const c = new Float64Array(d * d);
  let i = 0;
  for (; i + 4 <= d; i += 4) {
    const r0 = i * d,
      r1 = r0 + d,
      r2 = r1 + d,
      r3 = r2 + d;
    for (let k = 0; k < d; k++) {
      const a0 = r[r0 + k],
        a1 = r[r1 + k],
        a2 = r[r2 + k],
        a3 = r[r3 + k];
      const sk = k * d;
      for (let j = 0; j < d; j++) {
        const v = s[sk + j];
        c[r0 + j] += a0 * v;
        c[r1 + j] += a1 * v;
        c[r2 + j] += a2 * v;
        c[r3 + j] += a3 * v;
      }
    }
  }
  for (; i < d; i++) {
    const ri = i * d;
    for (let k = 0; k < d; k++) {
      const a = r[ri + k],
        sk = k * d;
      for (let j = 0; j < d; j++) c[ri + j] += a * s[sk + j];
    }
  }
  // M = C R^T: M[i][j] = C[i] . R[j], for j <= i
  const m = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    const ca = a * d;
    for (let b = 0; b <= a; b++) {
      const rb = b * d;
      let s0 = 0,
        s1 = 0;
      let k = 0;
      for (; k + 2 <= d; k += 2) {
        s0 += c[ca + k] * r[rb + k];
        s1 += c[ca + k + 1] * r[rb + k + 1];
      }
      if (k < d) s0 += c[ca + k] * r[rb + k];
      m[ca + b] = s0 + s1;
      m[rb + a] = s0 + s1;
    }
  }
  return m;
}
