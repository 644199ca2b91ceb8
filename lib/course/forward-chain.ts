/**
 * The forward process run the slow way, one step at a time, in plain float64 JavaScript:
 *
 *   x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) z_t,   z_t ~ N(0, I)      i.e. q(x_t | x_{t-1})
 *
 * Notebook 03 compares these chains with the closed form q(x_t | x_0) = N(sqrt(alphaBar_t) x_0, (1 - alphaBar_t) I).
 *
 * Indexing: `betas` is a 0-based array as lib/diffusion holds it, so betas[k] is the seminar's beta_{k+1}
 * (the noise of the step from x_k to x_{k+1}). Everything here is reported in the seminar's
 * time t = 0..T, where t = 0 is the data itself: t steps of noise have been applied to x_t.
 */
import { makeRng, type Rng } from "../rng";

/** A standard normal from a uniform source (Box-Muller; one value per call, the pair's partner is dropped). */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng.uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.uniform());
}

/** The times t = 0, every, 2 every, ..., with T always included (`every` defaults to 1: every step). */
export function recordTimes(T: number, { every = 1 }: { every?: number } = {}): number[] {
  if (!Number.isInteger(every) || every < 1) throw new Error(`every must be a positive integer; got ${every}`);
  const ts: number[] = [];
  for (let t = 0; t <= T; t += every) ts.push(t);
  if (ts[ts.length - 1] !== T) ts.push(T);
  return ts;
}

export interface ChainMoments {
  /** seminar time t (number of noise steps applied), 0..T */
  t: number[];
  /** sample mean of x_t over the chains, one array per starting value x_0 */
  mean: number[][];
  /** sample variance of x_t over the chains, one array per starting value x_0 */
  variance: number[][];
}

/**
 * Run `chains` independent 1-D chains from each starting value in `x0s` through every step of the
 * forward process and return the sample mean and variance of x_t at the recorded times.
 */
export function simulateChainMoments(betas: ArrayLike<number>, x0s: number[], opts: { chains?: number; seed?: number; every?: number } = {}): ChainMoments {
  const T = betas.length;
  const chains = opts.chains ?? 2000;
  const ts = recordTimes(T, { every: opts.every });
  const rng = makeRng(opts.seed ?? 0);
  const mean: number[][] = [],
    variance: number[][] = [];
  for (const x0 of x0s) {
    const x = new Float64Array(chains).fill(x0);
    const m: number[] = [],
      v: number[] = [];
    const record = (): void => {
      let s = 0,
        s2 = 0;
      for (let c = 0; c < chains; c++) s += x[c];
      const mu = s / chains;
      for (let c = 0; c < chains; c++) s2 += (x[c] - mu) ** 2;
      m.push(mu);
      v.push(s2 / (chains - 1));
    };
    let next = 0;
    if (ts[next] === 0) {
      record();
      next++;
    }
    for (let k = 0; k < T; k++) {
      const a = Math.sqrt(1 - betas[k]),
        b = Math.sqrt(betas[k]);
      for (let c = 0; c < chains; c++) x[c] = a * x[c] + b * gaussian(rng);
      if (ts[next] === k + 1) {
        record();
        next++;
      }
    }
    mean.push(m);
    variance.push(v);
  }
  return { t: ts, mean, variance };
}

export interface PointPaths {
  /** seminar time t of each snapshot */
  t: number[];
  /** the points at each recorded time, row-major [n, 2] */
  x: Float32Array[];
}

/** Diffuse 2-D points (row-major [n, 2]) step by step and keep snapshots at the recorded times. */
export function diffusePoints(betas: ArrayLike<number>, points: Float32Array, opts: { seed?: number; every?: number } = {}): PointPaths {
  const T = betas.length;
  const ts = recordTimes(T, { every: opts.every });
  const rng = makeRng(opts.seed ?? 0);
  const x = Float64Array.from(points);
  const snaps: Float32Array[] = [];
  let next = 0;
  if (ts[next] === 0) {
    snaps.push(Float32Array.from(x));
    next++;
  }
  for (let k = 0; k < T; k++) {
    const a = Math.sqrt(1 - betas[k]),
      b = Math.sqrt(betas[k]);
    for (let i = 0; i < x.length; i++) x[i] = a * x[i] + b * gaussian(rng);
    if (ts[next] === k + 1) {
      snaps.push(Float32Array.from(x));
      next++;
    }
  }
  return { t: ts, x: snaps };
}

export interface PathTraceOptions {
  /** which points to draw (default all) */
  points?: number[];
  /** line colour of path i */
  colorOf?: (i: number) => string;
  width?: number;
  opacity?: number;
  /** list the start and end markers in the figure's legend (default false) */
  legend?: boolean;
}

/**
 * Plotly traces that follow point i through the snapshots: one line per point (no markers along
 * the way, so a few paths stay readable), then a circle at every path's first snapshot and a cross
 * at its last, named "start (t = ...)" and "end (t = ...)". `colorOf(i)` picks the colour of path i.
 */
export function pathTraces(paths: PointPaths, opts: PathTraceOptions = {}): object[] {
  const n = paths.x[0].length / 2;
  const which = opts.points ?? Array.from({ length: n }, (_, i) => i);
  const r = (v: number): number => Math.round(v * 1e4) / 1e4;
  const colorOf = (i: number): string => (opts.colorOf ? opts.colorOf(i) : "#4c78a8");
  const traces: object[] = which.map((i) => ({
    type: "scatter",
    mode: "lines",
    showlegend: false,
    hoverinfo: "skip",
    x: paths.x.map((s) => r(s[2 * i])),
    y: paths.x.map((s) => r(s[2 * i + 1])),
    line: { color: colorOf(i), width: opts.width ?? 1 },
    opacity: opts.opacity ?? 0.6,
  }));
  const ends = (k: number, name: string, symbol: string, size: number): object => ({
    type: "scatter",
    mode: "markers",
    name: `${name} (t = ${paths.t[k]})`,
    showlegend: opts.legend ?? false,
    x: which.map((i) => r(paths.x[k][2 * i])),
    y: which.map((i) => r(paths.x[k][2 * i + 1])),
    marker: { size, symbol, color: which.map(colorOf), line: { width: 1.5, color: "#222" } },
  });
  traces.push(ends(0, "start", "circle", 9), ends(paths.x.length - 1, "end", "x", 10));
  return traces;
}
