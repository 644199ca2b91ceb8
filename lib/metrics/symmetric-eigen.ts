/**
 * Eigenvalues (and optionally eigenvectors) of a real symmetric matrix in float64: Householder
 * reduction to tridiagonal form, then the implicit QL iteration with Wilkinson shifts (Golub & Van
 * Loan, "Matrix Computations", sections 8.3 and 8.3.5; the EISPACK tred2/tql2 pair). Both stages are
 * O(d^3); every inner loop runs over a contiguous row of a row-major Float64Array, so d = 2048 takes
 * seconds rather than minutes in V8.
 */

export interface SymmetricEigen {
  /** eigenvalues, unsorted */
  values: Float64Array;
  /** eigenvectors as ROWS of a row-major d x d matrix (row i belongs to values[i]); absent when not asked for */
  vectorRows?: Float64Array;
}

const MAX_QL_ITERATIONS = 60;

/**
 * Reduce symmetric `a` (row-major d x d; overwritten) to tridiagonal T = Q^T A Q.
 * Returns the diagonal `diag`, the off-diagonal `off` (off[i] = T[i][i+1], off[d-1] = 0) and, when
 * `wantQ`, Q itself (row-major). Each step k applies the reflector P = I - v v^T / h that zeroes
 * row k right of the super-diagonal; on the trailing block this is the symmetric rank-2 update
 * A <- A - v q^T - q v^T with p = A v / h, q = p - (v.p / 2h) v (Golub & Van Loan, algorithm 8.3.1).
 */
function tridiagonalize(a: Float64Array, d: number, wantQ: boolean): { diag: Float64Array; off: Float64Array; q?: Float64Array } {
  const diag = new Float64Array(d);
  const off = new Float64Array(d);
  const hs = new Float64Array(d); // h of reflector k, 0 when step k was skipped
  const p = new Float64Array(d);
  for (let k = 0; k + 2 < d; k++) {
    const rk = k * d;
    let norm2 = 0;
    for (let j = k + 1; j < d; j++) norm2 += a[rk + j] * a[rk + j];
    const x0 = a[rk + k + 1];
    diag[k] = a[rk + k];
    if (norm2 === 0) {
      off[k] = 0;
      continue;
    }
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    const h = alpha * alpha - alpha * x0; // = |v|^2 / 2 with v = x - alpha e1
    a[rk + k + 1] = x0 - alpha; // row k (right of the diagonal) now stores v
    hs[k] = h;
    off[k] = alpha;
    // p = A' v / h on the trailing block A' = a[k+1.., k+1..]
    let vp = 0;
    for (let i = k + 1; i < d; i++) {
      const ri = i * d;
      let s = 0;
      for (let j = k + 1; j < d; j++) s += a[ri + j] * a[rk + j];
      p[i] = s / h;
      vp += a[rk + i] * p[i];
    }
    const kk = vp / (2 * h);
    for (let i = k + 1; i < d; i++) p[i] -= kk * a[rk + i]; // p is now q
    for (let i = k + 1; i < d; i++) {
      const ri = i * d;
      const vi = a[rk + i],
        qi = p[i];
      for (let j = k + 1; j < d; j++) a[ri + j] -= vi * p[j] + qi * a[rk + j];
    }
  }
  if (d >= 2) {
    diag[d - 2] = a[(d - 2) * d + d - 2];
    off[d - 2] = a[(d - 2) * d + d - 1];
  }
  diag[d - 1] = a[d * d - 1];
  if (!wantQ) return { diag, off };
  // Q = P_0 P_1 ... P_{d-3}, accumulated backwards so that P_k only touches the block [k+1.., k+1..].
  const q = new Float64Array(d * d);
  for (let i = 0; i < d; i++) q[i * d + i] = 1;
  const w = new Float64Array(d);
  for (let k = d - 3; k >= 0; k--) {
    const h = hs[k];
    if (h === 0) continue;
    const rk = k * d;
    w.fill(0, k + 1);
    for (let i = k + 1; i < d; i++) {
      const vi = a[rk + i];
      const ri = i * d;
      for (let j = k + 1; j < d; j++) w[j] += vi * q[ri + j];
    }
    for (let i = k + 1; i < d; i++) {
      const f = a[rk + i] / h;
      const ri = i * d;
      for (let j = k + 1; j < d; j++) q[ri + j] -= f * w[j];
    }
  }
  return { diag, off, q };
}

/**
 * Implicit QL with Wilkinson shifts on the tridiagonal (diag, off), in place: diag ends as the
 * eigenvalues. Each plane rotation G acting on coordinates (i, i+1) is also applied to rows i, i+1
 * of `zRows` (which holds Z^T), so Z^T <- G^T Z^T accumulates the eigenvectors as rows.
 */
function tridiagonalQL(diag: Float64Array, off: Float64Array, zRows: Float64Array | undefined, d: number): void {
  // An off-diagonal element is negligible when it is tiny next to its two diagonal neighbours, or
  // next to the whole matrix: the reduction to T already perturbed every entry by about eps * |T|,
  // and without the second test a cluster of near-zero eigenvalues (a rank-deficient covariance)
  // never deflates, because rotations chased from the large entries leave O(eps |T|) residues.
  let normT = 0;
  for (let i = 0; i < d; i++) normT = Math.max(normT, Math.abs(diag[i]) + Math.abs(off[i]) + (i > 0 ? Math.abs(off[i - 1]) : 0));
  const negligible = Number.EPSILON * normT;
  for (let l = 0; l < d; l++) {
    let iterations = 0;
    for (;;) {
      // find the first negligible off-diagonal element at or after l: T splits there
      let m = l;
      for (; m < d - 1; m++) {
        const dd = Math.abs(diag[m]) + Math.abs(diag[m + 1]);
        if (Math.abs(off[m]) <= negligible || Math.abs(off[m]) + dd === dd) break;
      }
      if (m === l) break;
      if (++iterations > MAX_QL_ITERATIONS) {
        throw new Error(`symmetric eigensolver: QL iteration did not converge for eigenvalue ${l} of ${d} (matrix has NaN/Inf or is badly scaled)`);
      }
      // Wilkinson shift from the leading 2x2 block at l
      let g = (diag[l + 1] - diag[l]) / (2 * off[l]);
      let r = Math.hypot(g, 1);
      g = diag[m] - diag[l] + off[l] / (g + (g >= 0 ? r : -r));
      let s = 1,
        c = 1,
        p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * off[i],
          b = c * off[i];
        r = Math.hypot(f, g);
        off[i + 1] = r;
        if (r === 0) {
          diag[i + 1] -= p;
          off[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = diag[i + 1] - p;
        r = (diag[i] - g) * s + 2 * c * b;
        p = s * r;
        diag[i + 1] = g + p;
        g = c * r - b;
        if (zRows) {
          const ri = i * d,
            rn = ri + d;
          for (let k = 0; k < d; k++) {
            const zn = zRows[rn + k],
              zi = zRows[ri + k];
            zRows[rn + k] = s * zi + c * zn;
            zRows[ri + k] = c * zi - s * zn;
          }
        }
      }
      if (underflow) continue;
      diag[l] -= p;
      off[l] = g;
      off[m] = 0;
    }
  }
}

/**
 * Eigen-decomposition of the symmetric matrix `a` (row-major d x d, not modified; only the upper
 * triangle's symmetry is assumed, not checked). With `vectors`, also returns the eigenvectors as rows.
 */
export function symmetricEigen(a: Float64Array, d: number, vectors = false): SymmetricEigen {
  if (a.length !== d * d) throw new Error(`symmetricEigen: matrix has ${a.length} entries, expected ${d}x${d} = ${d * d}`);
  if (d === 0) return { values: new Float64Array(0), vectorRows: vectors ? new Float64Array(0) : undefined };
  const work = Float64Array.from(a);
  const { diag, off, q } = tridiagonalize(work, d, vectors);
  let zRows: Float64Array | undefined;
  if (q) {
    // Z starts as Q; we keep its transpose so that rotations touch contiguous rows.
    zRows = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) zRows[j * d + i] = q[i * d + j];
  }
  tridiagonalQL(diag, off, zRows, d);
  return { values: diag, vectorRows: zRows };
}
