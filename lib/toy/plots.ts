/**
 * Plot helpers for 2-D points: scatter traces, a grid of (x, y) points for heatmaps and contours,
 * and a grid of subplot panels, all as plain plotly objects for `plot()` from lib/viz.
 */
import { Figure } from "../viz/plot";
import { coord, Points } from "./data";

/** A scatter trace of points. */
export function scatter(
  p: Points | Float32Array,
  opts: { name?: string; color?: string; size?: number; opacity?: number; symbol?: string; outline?: string } = {},
): object {
  return {
    type: "scatter",
    mode: "markers",
    name: opts.name ?? "",
    x: coord(p, 0).map(round4),
    y: coord(p, 1).map(round4),
    marker: {
      color: opts.color,
      size: opts.size ?? 4,
      opacity: opts.opacity ?? 0.7,
      symbol: opts.symbol,
      ...(opts.outline ? { line: { color: opts.outline, width: 1 } } : {}),
    },
  };
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/** A square grid over [lo, hi]^2: axis values and the points in row-major order (y outer, x inner). */
export interface Grid2D {
  xs: number[];
  ys: number[];
  points: Float32Array;
}

export function grid2d(lo: number, hi: number, steps: number, loY = lo, hiY = hi): Grid2D {
  const xs: number[] = [],
    ys: number[] = [];
  for (let i = 0; i < steps; i++) {
    xs.push(lo + ((hi - lo) * i) / (steps - 1));
    ys.push(loY + ((hiY - loY) * i) / (steps - 1));
  }
  const points = new Float32Array(2 * steps * steps);
  for (let r = 0; r < steps; r++) {
    for (let c = 0; c < steps; c++) {
      points[2 * (r * steps + c)] = xs[c];
      points[2 * (r * steps + c) + 1] = ys[r];
    }
  }
  return { xs, ys, points };
}

/** Values on a grid (one per grid point, row-major) as rows for a plotly heatmap or contour `z`. */
export function gridRows(g: Grid2D, values: ArrayLike<number>): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < g.ys.length; r++) {
    const row: number[] = [];
    for (let c = 0; c < g.xs.length; c++) row.push(round4(values[r * g.xs.length + c]));
    rows.push(row);
  }
  return rows;
}

/** A heatmap (or filled contour) trace of grid values. */
export function heatmap(
  g: Grid2D,
  values: ArrayLike<number>,
  opts: {
    name?: string;
    /** a plotly scale name ("Viridis") or stops [[0, colour], ..., [1, colour]] */
    colorscale?: string | [number, string][];
    contour?: boolean;
    zmin?: number;
    zmax?: number;
    showscale?: boolean;
    title?: string;
  } = {},
): object {
  return {
    type: opts.contour ? "contour" : "heatmap",
    x: g.xs.map(round4),
    y: g.ys.map(round4),
    z: gridRows(g, values),
    name: opts.name ?? "",
    colorscale: opts.colorscale ?? "RdBu",
    zmin: opts.zmin,
    zmax: opts.zmax,
    showscale: opts.showscale ?? true,
    colorbar: opts.title ? { title: { text: opts.title } } : undefined,
    ...(opts.contour ? { contours: { coloring: "heatmap" }, line: { width: 0.5 } } : {}),
  };
}

/** A contour line trace at one level (e.g. the decision boundary p(y=1|x) = 0.5). */
export function contourLine(g: Grid2D, values: ArrayLike<number>, level: number, opts: { name?: string; color?: string; dash?: string } = {}): object {
  return {
    type: "contour",
    x: g.xs.map(round4),
    y: g.ys.map(round4),
    z: gridRows(g, values),
    name: opts.name ?? `level ${level}`,
    showscale: false,
    showlegend: true,
    contours: { start: level, end: level, size: 1, coloring: "lines" },
    line: { color: opts.color ?? "black", width: 2.5, dash: opts.dash ?? "solid" },
    colorscale: [
      [0, opts.color ?? "black"],
      [1, opts.color ?? "black"],
    ],
    hoverinfo: "skip",
  };
}

/** One panel of a subplot grid: a title and its traces. */
export interface Panel {
  title: string;
  traces: object[];
  /** equal x and y scales (default true); false for histograms and curves */
  equal?: boolean;
  /** axis titles */
  xTitle?: string;
  yTitle?: string;
}

/**
 * Several panels in a grid with their own axes (equal aspect, shared ranges when given), as one figure.
 */
export function panels(list: Panel[], opts: { cols?: number; range?: [number, number]; title?: string; layout?: object } = {}): Figure {
  const cols = opts.cols ?? Math.min(3, list.length);
  const rows = Math.ceil(list.length / cols);
  const data: object[] = [];
  const layout: Record<string, unknown> = {
    grid: { rows, columns: cols, pattern: "independent", xgap: 0.08, ygap: 0.22 },
    showlegend: false,
    margin: { t: opts.title ? 90 : 60, l: 40, r: 20, b: 30 }, // a figure title sits above the panel titles
    annotations: [],
  };
  if (opts.title) layout.title = { text: opts.title };
  const ann = layout.annotations as object[];
  list.forEach((panel, i) => {
    const k = i === 0 ? "" : String(i + 1);
    for (const t of panel.traces) data.push({ ...t, xaxis: "x" + k, yaxis: "y" + k });
    const equal = panel.equal ?? true;
    const title = (t?: string) => (t ? { title: { text: t } } : {});
    layout["xaxis" + k] = { range: equal ? opts.range : undefined, zeroline: false, ...title(panel.xTitle), ...(equal ? { constrain: "domain" } : {}) };
    layout["yaxis" + k] = {
      range: equal ? opts.range : undefined,
      zeroline: false,
      ...title(panel.yTitle),
      ...(equal ? { scaleanchor: "x" + k, constrain: "domain" } : {}),
    };
    ann.push({ text: `<b>${panel.title}</b>`, xref: "x" + k + " domain", yref: "y" + k + " domain", x: 0.5, y: 1.12, showarrow: false, xanchor: "center" });
  });
  return { data, layout: { ...layout, ...(opts.layout ?? {}) } };
}

/**
 * The image of a square grid of latent points under a latent-to-data map (VAE decoder, GAN generator,
 * flow inverse): lines of constant z2 and lines of constant z1, each decoded point by point.
 * Returns two line traces (with gaps between lines), one per family of lines.
 */
export function latentGrid(decode: (z: Float32Array) => Float32Array, opts: { lo?: number; hi?: number; lines?: number; steps?: number } = {}): object[] {
  const lo = opts.lo ?? -2,
    hi = opts.hi ?? 2,
    L = opts.lines ?? 9,
    S = opts.steps ?? 41;
  const z = new Float32Array(2 * 2 * L * S);
  let k = 0;
  for (const dir of [0, 1]) {
    for (let l = 0; l < L; l++) {
      const c = lo + ((hi - lo) * l) / (L - 1);
      for (let s = 0; s < S; s++) {
        const v = lo + ((hi - lo) * s) / (S - 1);
        z[k++] = dir === 0 ? v : c;
        z[k++] = dir === 0 ? c : v;
      }
    }
  }
  const x = decode(z);
  return [0, 1].map((dir) => {
    const xs: (number | null)[] = [],
      ys: (number | null)[] = [];
    for (let l = 0; l < L; l++) {
      for (let s = 0; s < S; s++) {
        const i = (dir * L + l) * S + s;
        xs.push(round4(x[2 * i]));
        ys.push(round4(x[2 * i + 1]));
      }
      xs.push(null);
      ys.push(null);
    }
    return {
      type: "scatter",
      mode: "lines",
      x: xs,
      y: ys,
      name: dir === 0 ? "z2 = const" : "z1 = const",
      line: { color: dir === 0 ? "#1f77b4" : "#ff7f0e", width: 1 },
      connectgaps: false,
    };
  });
}
