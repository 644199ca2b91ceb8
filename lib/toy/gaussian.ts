/**
 * The simplest generative classifier: one Gaussian p(x|y) per class plus a prior p(y), fitted in
 * closed form (maximum likelihood), with the posterior p(y|x) from Bayes' rule:
 *
 *   p(y=k | x) = p(y=k) N(x; mu_k, Sigma_k) / sum_j p(y=j) N(x; mu_j, Sigma_j)
 *
 * Everything is plain JavaScript in float64: no tensors needed for 2x2 covariances.
 */
import { Points } from "./data";
import { makeRng, type Rng } from "../rng";

/** A 2-D Gaussian: mean and covariance [[sxx, sxy], [sxy, syy]]. */
export interface Gaussian2 {
  mean: [number, number];
  cov: [[number, number], [number, number]];
}

/** Maximum-likelihood fit: the sample mean and the (1/n) sample covariance. */
export function fitGaussian(p: Points): Gaussian2 {
  if (p.n < 1) throw new Error("fitGaussian: no points");
  let mx = 0,
    my = 0;
  for (let i = 0; i < p.n; i++) {
    mx += p.x[2 * i];
    my += p.x[2 * i + 1];
  }
  mx /= p.n;
  my /= p.n;
  let sxx = 0,
    sxy = 0,
    syy = 0;
  for (let i = 0; i < p.n; i++) {
    const dx = p.x[2 * i] - mx,
      dy = p.x[2 * i + 1] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  return {
    mean: [mx, my],
    cov: [
      [sxx / p.n, sxy / p.n],
      [sxy / p.n, syy / p.n],
    ],
  };
}

/** log N(x; mu, Sigma) for one point. */
export function gaussianLogPdf(g: Gaussian2, x: number, y: number): number {
  const [[a, b], [, d]] = g.cov;
  const det = a * d - b * b;
  if (!(det > 0)) throw new Error(`gaussianLogPdf: covariance is not positive definite (det ${det})`);
  const dx = x - g.mean[0],
    dy = y - g.mean[1];
  // (x-mu)^T Sigma^-1 (x-mu) with Sigma^-1 = [[d, -b], [-b, a]] / det
  const maha = (d * dx * dx - 2 * b * dx * dy + a * dy * dy) / det;
  return -0.5 * maha - 0.5 * Math.log(det) - Math.log(2 * Math.PI);
}

/** `n` samples x = mu + L z with Sigma = L L^T (Cholesky), z ~ N(0, I). */
export function sampleGaussian(g: Gaussian2, n: number, rng: Rng): Float32Array {
  const a = Math.sqrt(g.cov[0][0]),
    b = g.cov[1][0] / a,
    d = Math.sqrt(Math.max(0, g.cov[1][1] - b * b));
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const z0 = rng.normal(),
      z1 = rng.normal();
    out[2 * i] = g.mean[0] + a * z0;
    out[2 * i + 1] = g.mean[1] + b * z0 + d * z1;
  }
  return out;
}

/** A generative classifier: prior p(y) and one Gaussian p(x|y) per class. */
export interface GaussianClassModel {
  /** p(y = k) */
  prior: number[];
  /** p(x | y = k) */
  classes: Gaussian2[];
}

/** Fit p(y) (class frequencies) and p(x|y) (one Gaussian per class) by maximum likelihood. */
export function fitGaussianClasses(p: Points): GaussianClassModel {
  if (!p.labels) throw new Error("fitGaussianClasses: the points need labels");
  let K = 0;
  for (let i = 0; i < p.n; i++) K = Math.max(K, p.labels[i] + 1);
  const prior: number[] = [],
    classes: Gaussian2[] = [];
  for (let k = 0; k < K; k++) {
    const idx: number[] = [];
    for (let i = 0; i < p.n; i++) if (p.labels[i] === k) idx.push(i);
    if (idx.length < 3) throw new Error(`fitGaussianClasses: class ${k} has ${idx.length} points; need at least 3`);
    const x = new Float32Array(2 * idx.length);
    idx.forEach((j, m) => {
      x[2 * m] = p.x[2 * j];
      x[2 * m + 1] = p.x[2 * j + 1];
    });
    prior.push(idx.length / p.n);
    classes.push(fitGaussian({ x, n: idx.length }));
  }
  return { prior, classes };
}

function logSumExp(v: number[]): number {
  const m = Math.max(...v);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const a of v) s += Math.exp(a - m);
  return m + Math.log(s);
}

/** log p(y=k) + log p(x|y=k) for every point and class: row-major [n, K]. */
export function jointLogProb(m: GaussianClassModel, x: Float32Array): Float64Array {
  const K = m.prior.length,
    n = x.length / 2;
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) out[i * K + k] = Math.log(m.prior[k]) + gaussianLogPdf(m.classes[k], x[2 * i], x[2 * i + 1]);
  }
  return out;
}

/** Bayes' rule: p(y=k | x) for every point, row-major [n, K]. */
export function posterior(m: GaussianClassModel, x: Float32Array): Float64Array {
  const K = m.prior.length,
    n = x.length / 2;
  const joint = jointLogProb(m, x);
  for (let i = 0; i < n; i++) {
    const row = Array.from(joint.subarray(i * K, (i + 1) * K));
    const lse = logSumExp(row);
    for (let k = 0; k < K; k++) joint[i * K + k] = Math.exp(row[k] - lse);
  }
  return joint;
}

/** p(y = k | x) for one class k, one number per point. */
export function posteriorOf(m: GaussianClassModel, x: Float32Array, k: number): Float64Array {
  const K = m.prior.length,
    post = posterior(m, x);
  const out = new Float64Array(x.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = post[i * K + k];
  return out;
}

/** The marginal density log p(x) = log sum_k p(y=k) p(x|y=k), one number per point. */
export function logDensity(m: GaussianClassModel, x: Float32Array): Float64Array {
  const K = m.prior.length,
    n = x.length / 2;
  const joint = jointLogProb(m, x);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = logSumExp(Array.from(joint.subarray(i * K, (i + 1) * K)));
  return out;
}

/** New points of class k: x ~ p(x | y = k). Only a generative model can do this. */
export function sampleClass(m: GaussianClassModel, k: number, n: number, seed = 0): Float32Array {
  return sampleGaussian(m.classes[k], n, makeRng(seed));
}
