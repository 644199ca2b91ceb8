/**
 * 2-D data sets for the first notebooks. Points are stored row-major in a Float32Array
 * ([x0, y0, x1, y1, ...]), with optional integer class labels.
 */
import { makeRng } from "../rng";

export interface Points {
  /** coordinates, row-major [n, 2] */
  x: Float32Array;
  /** number of points */
  n: number;
  /** class of each point (0..K-1), when the data set has classes */
  labels?: Int32Array;
}

/** Two interleaving half circles (as scikit-learn's make_moons), labels 0 (upper) and 1 (lower). */
export function twoMoons(n: number, opts: { noise?: number; seed?: number } = {}): Points {
  const rng = makeRng(opts.seed ?? 0);
  const noise = opts.noise ?? 0.1;
  const x = new Float32Array(2 * n),
    labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2,
      a = Math.PI * rng.uniform();
    const px = c === 0 ? Math.cos(a) : 1 - Math.cos(a);
    const py = c === 0 ? Math.sin(a) : 0.5 - Math.sin(a);
    x[2 * i] = px + noise * rng.normal();
    x[2 * i + 1] = py + noise * rng.normal();
    labels[i] = c;
  }
  return { x, n, labels };
}

/** A 2-D Swiss roll (a spiral), scaled to roughly [-1.2, 1.2]. */
export function swissRoll(n: number, opts: { noise?: number; seed?: number } = {}): Points {
  const rng = makeRng(opts.seed ?? 0);
  const noise = opts.noise ?? 0.03;
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
    x[2 * i] = (t * Math.cos(t)) / 12 + noise * rng.normal();
    x[2 * i + 1] = (t * Math.sin(t)) / 12 + noise * rng.normal();
  }
  return { x, n };
}

/** One Gaussian class: mean and covariance [[sxx, sxy], [sxy, syy]]. */
export interface ClassSpec {
  mean: [number, number];
  cov: [[number, number], [number, number]];
}

/**
 * Labelled points from a mixture of Gaussian classes: the class y ~ p(y) = prior, then x ~ N(mean_y, cov_y).
 * Default: two elongated classes with prior 0.6 / 0.4.
 */
export function gaussianClasses(n: number, opts: { seed?: number; prior?: number[]; classes?: ClassSpec[] } = {}): Points {
  const rng = makeRng(opts.seed ?? 0);
  const classes = opts.classes ?? [
    {
      mean: [-1, -0.4],
      cov: [
        [1.0, 0.5],
        [0.5, 0.6],
      ],
    },
    {
      mean: [1.2, 0.8],
      cov: [
        [0.35, -0.15],
        [-0.15, 0.5],
      ],
    },
  ];
  const prior = opts.prior ?? [0.6, 0.4];
  if (prior.length !== classes.length) throw new Error(`gaussianClasses: ${prior.length} prior weights for ${classes.length} classes`);
  const x = new Float32Array(2 * n),
    labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let u = rng.uniform() * prior.reduce((a, b) => a + b, 0),
      c = 0;
    while (c < prior.length - 1 && u >= prior[c]) u -= prior[c++];
    const { mean, cov } = classes[c];
    // Cholesky of the 2x2 covariance: L = [[a, 0], [b, d]]
    const a = Math.sqrt(cov[0][0]),
      b = cov[1][0] / a,
      d = Math.sqrt(cov[1][1] - b * b);
    const z0 = rng.normal(),
      z1 = rng.normal();
    x[2 * i] = mean[0] + a * z0;
    x[2 * i + 1] = mean[1] + b * z0 + d * z1;
    labels[i] = c;
  }
  return { x, n, labels };
}

/** The points with the given indices. */
export function subset(p: Points, idx: ArrayLike<number>): Points {
  const x = new Float32Array(2 * idx.length);
  const labels = p.labels ? new Int32Array(idx.length) : undefined;
  for (let k = 0; k < idx.length; k++) {
    x[2 * k] = p.x[2 * idx[k]];
    x[2 * k + 1] = p.x[2 * idx[k] + 1];
    if (labels && p.labels) labels[k] = p.labels[idx[k]];
  }
  return labels ? { x, n: idx.length, labels } : { x, n: idx.length };
}

/** The points of class `c`. */
export function ofClass(p: Points, c: number): Points {
  if (!p.labels) throw new Error("ofClass: these points have no labels");
  const idx: number[] = [];
  for (let i = 0; i < p.n; i++) if (p.labels[i] === c) idx.push(i);
  return subset(p, idx);
}

/** A random train/test split with `nTest` test points. */
export function split(p: Points, nTest: number, seed = 0): { train: Points; test: Points } {
  const rng = makeRng(seed);
  const perm = Array.from({ length: p.n }, (_, i) => i);
  for (let i = p.n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return { test: subset(p, perm.slice(0, nTest)), train: subset(p, perm.slice(nTest)) };
}

/** Shift and scale each coordinate to mean 0 and standard deviation 1 (returns the statistics too). */
export function standardize(p: Points, stats?: { mean: [number, number]; std: [number, number] }) {
  let s = stats;
  if (!s) {
    const mean: [number, number] = [0, 0],
      std: [number, number] = [0, 0];
    for (let i = 0; i < p.n; i++) for (let d = 0; d < 2; d++) mean[d] += p.x[2 * i + d] / p.n;
    for (let i = 0; i < p.n; i++) for (let d = 0; d < 2; d++) std[d] += (p.x[2 * i + d] - mean[d]) ** 2 / p.n;
    s = { mean, std: [Math.sqrt(std[0]), Math.sqrt(std[1])] };
  }
  const x = new Float32Array(p.x.length);
  for (let i = 0; i < p.n; i++) for (let d = 0; d < 2; d++) x[2 * i + d] = (p.x[2 * i + d] - s.mean[d]) / s.std[d];
  const points: Points = p.labels ? { x, n: p.n, labels: p.labels } : { x, n: p.n };
  return { points, mean: s.mean, std: s.std };
}

/** Points spread uniformly over a box: useful as "outliers" or as starting points for samplers. */
export function uniformBox(n: number, lo: number, hi: number, seed = 0): Points {
  return { x: makeRng(seed).uniforms(2 * n, lo, hi), n };
}

/** Column `d` (0 = x, 1 = y) as a plain array, for plotting. */
export function coord(p: Points | Float32Array, d: 0 | 1): number[] {
  const x = p instanceof Float32Array ? p : p.x;
  const out: number[] = new Array(x.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = x[2 * i + d];
  return out;
}

/**
 * Mean distance from each point of `a` to its nearest point in `b` (brute force). With a = samples and
 * b = data it measures sample quality (are samples near data?); with a = data and b = samples, coverage
 * (is every part of the data reached by some sample?).
 */
export function meanNearestDistance(a: Points | Float32Array, b: Points | Float32Array): number {
  const xa = a instanceof Float32Array ? a : a.x,
    xb = b instanceof Float32Array ? b : b.x;
  const na = xa.length / 2,
    nb = xb.length / 2;
  let total = 0;
  for (let i = 0; i < na; i++) {
    let best = Infinity;
    const px = xa[2 * i],
      py = xa[2 * i + 1];
    for (let j = 0; j < nb; j++) {
      const dx = px - xb[2 * j],
        dy = py - xb[2 * j + 1];
      const d = dx * dx + dy * dy;
      if (d < best) best = d;
    }
    total += Math.sqrt(best);
  }
  return total / na;
}
