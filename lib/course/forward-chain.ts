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
  const mean: number[][] = [], variance: number[][] = [];
  for (const x0 of x0s) {
    const x = new Float64Array(chains).fill(x0);
    const m: number[] = [], v: number[] = [];
    const record = (): void => {
      let s = 0, s2 = 0;
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
      const a = Math.sqrt(1 - betas[k]), b = Math.sqrt(betas[k]);
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
    const a = Math.sqrt(1 - betas[k]), b = Math.sqrt(betas[k]);
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
  /** also draw a marker at every snapshot, coloured by its time t with this plotly colorscale (e.g. "Viridis") */
  timeColors?: string;
}

/**
 * Plotly line traces, one per point, following point i through the snapshots (x_0 to x_T), with a
 * marker at each end. `colorOf(i)` picks the colour of path i.
 */
export function pathTraces(paths: PointPaths, opts: PathTraceOptions = {}): object[] {
  const n = paths.x[0].length / 2;
  const which = opts.points ?? Array.from({ length: n }, (_, i) => i);
  const r = (v: number): number => Math.round(v * 1e4) / 1e4;
  const traces: object[] = [];
  which.forEach((i, k) => {
    const color = opts.colorOf ? opts.colorOf(i) : "#4c78a8";
    const byTime = opts.timeColors
      ? { mode: "lines+markers", marker: { size: 4, color: paths.t, colorscale: opts.timeColors, cmin: Math.min(...paths.t), cmax: Math.max(...paths.t),
          showscale: k === 0, colorbar: { title: { text: "t" }, thickness: 12 } } }
      : { mode: "lines" };
    traces.push({
      type: "scatter", showlegend: false, hoverinfo: "skip",
      x: paths.x.map((s) => r(s[2 * i])), y: paths.x.map((s) => r(s[2 * i + 1])),
      line: { color, width: opts.width ?? 1 }, opacity: opts.opacity ?? 0.6, ...byTime,
    });
  });
  const ends = (k: number, name: string, symbol: string): object => ({
    type: "scatter", mode: "markers", name,
    x: which.map((i) => r(paths.x[k][2 * i])), y: which.map((i) => r(paths.x[k][2 * i + 1])),
    marker: { size: 6, symbol, color: which.map((i) => (opts.colorOf ? opts.colorOf(i) : "#4c78a8")), line: { width: 1, color: "#333" } },
  });
  traces.push(ends(0, `t = ${paths.t[0]}`, "circle"), ends(paths.x.length - 1, `t = ${paths.t[paths.t.length - 1]}`, "x"));
  return traces;
}
