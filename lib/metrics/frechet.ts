/**
 * The Frechet distance between two Gaussians (Dowson & Landau 1982), which FID (Heusel et al. 2017)
 * and sFID (Nash et al. 2021) evaluate on Inception features:
 *
 *   d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))
 *
 * The reference implementations (TTUR's fid.py, ADM's evaluator.py) take scipy.linalg.sqrtm of the
 * non-symmetric product S1 S2. We use the symmetric form instead: S1 S2 is similar to
 * S1^(1/2) S2 S1^(1/2), a symmetric positive semi-definite matrix with the same eigenvalues, so
 * tr((S1 S2)^(1/2)) = sum_i sqrt(mu_i) over its eigenvalues mu_i. Everything is float64.
 */
import { congruence } from "./congruence";
import { GaussianStatistics } from "./statistics";
import { symmetricEigen } from "./symmetric-eigen";

export interface FrechetOptions {
  /**
   * Added to the diagonals of both covariances inside tr((S1 S2)^(1/2)) only (default 0), exactly as
   * the references do with eps = 1e-6 as a fallback when sqrtm of a singular product S1 S2 comes out
   * non-finite (a Schur-based square root can break down on zero eigenvalues). The symmetric form
   * has no such failure: a singular S1 or S2 (e.g. fewer samples than features) just gives zero
   * eigenvalues whose square roots are 0, so no offset is needed. Pass 1e-6 to reproduce a reference
   * run that printed "fid calculation produces singular product".
   */
  eps?: number;
}

/**
 * How much negative spectrum we treat as rounding noise. The references drop the imaginary part of
 * sqrtm(S1 S2) when it is below 1e-3 on the diagonal. In the symmetric form the only source of an
 * imaginary part is a slightly negative eigenvalue mu < 0, whose square root i*sqrt(-mu) we discard by
 * clamping mu to 0; we accept this while sum sqrt(-mu) <= 1e-3 * max(1, sum sqrt(mu+)) and otherwise
 * refuse, because then a "covariance" was not positive semi-definite.
 */
const IMAGINARY_TOLERANCE = 1e-3;
/** S1's own eigenvalues may dip below zero by this fraction of the largest before we call S1 broken. */
const NEGATIVE_EIGENVALUE_TOLERANCE = 1e-4;

function trace(s: Float64Array, d: number): number {
  let t = 0;
  for (let i = 0; i < d; i++) t += s[i * d + i];
  return t;
}

function checkFinite(v: Float64Array, what: string): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new Error(`frechetDistance: ${what}[${i}] is ${v[i]}; the statistics must be finite`);
  }
}

/** tr((S1 S2)^(1/2)) for symmetric positive semi-definite S1, S2 (row-major d x d). */
export function traceSqrtProduct(s1: Float64Array, s2: Float64Array, d: number): number {
  // S1 = V diag(l) V^T, so S1^(1/2) S2 S1^(1/2) = V [D V^T S2 V D] V^T with D = diag(sqrt(l)):
  // the bracket has the same eigenvalues and costs one congruence instead of two matrix square roots.
  const { values: l, vectorRows } = symmetricEigen(s1, d, true);
  let lMax = 0;
  for (let i = 0; i < d; i++) lMax = Math.max(lMax, l[i]);
  const sqrtL = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    if (l[i] < -NEGATIVE_EIGENVALUE_TOLERANCE * lMax) {
      throw new Error(`frechetDistance: sigma1 has eigenvalue ${l[i]} (largest ${lMax}); it is not a covariance matrix`);
    }
    sqrtL[i] = Math.sqrt(Math.max(l[i], 0));
  }
  const m = congruence(vectorRows as Float64Array, s2, d); // V^T S2 V (rows of vectorRows are V's columns)
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) m[i * d + j] *= sqrtL[i] * sqrtL[j];
  }
  const mu = symmetricEigen(m, d, false).values;
  let real = 0,
    imaginary = 0;
  for (let i = 0; i < d; i++) {
    if (mu[i] >= 0) real += Math.sqrt(mu[i]);
    else imaginary += Math.sqrt(-mu[i]);
  }
  if (imaginary > IMAGINARY_TOLERANCE * Math.max(1, real)) {
    throw new Error(`frechetDistance: tr(sqrt(sigma1 sigma2)) has imaginary part ${imaginary} (real part ${real}); ` + `sigma2 is not positive semi-definite`);
  }
  return real;
}

function withDiagonalOffset(s: Float64Array, d: number, eps: number): Float64Array {
  const out = Float64Array.from(s);
  for (let i = 0; i < d; i++) out[i * d + i] += eps;
  return out;
}

/** Squared Frechet distance between N(a.mu, a.sigma) and N(b.mu, b.sigma); FID when they are Inception pool3 statistics. */
export function frechetDistance(a: GaussianStatistics, b: GaussianStatistics, opts: FrechetOptions = {}): number {
  const d = a.mu.length;
  if (b.mu.length !== d) throw new Error(`frechetDistance: mean lengths differ (${d} vs ${b.mu.length}); both statistics must come from the same features`);
  if (a.sigma.length !== d * d || b.sigma.length !== d * d) {
    throw new Error(`frechetDistance: covariances have ${a.sigma.length} and ${b.sigma.length} entries, expected ${d}x${d} = ${d * d}`);
  }
  checkFinite(a.mu, "a.mu");
  checkFinite(b.mu, "b.mu");
  checkFinite(a.sigma, "a.sigma");
  checkFinite(b.sigma, "b.sigma");
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (a.mu[i] - b.mu[i]) ** 2;
  const traces = trace(a.sigma, d) + trace(b.sigma, d);
  const eps = opts.eps ?? 0;
  const s1 = eps === 0 ? a.sigma : withDiagonalOffset(a.sigma, d, eps);
  const s2 = eps === 0 ? b.sigma : withDiagonalOffset(b.sigma, d, eps);
  return meanTerm + traces - 2 * traceSqrtProduct(s1, s2, d);
}
