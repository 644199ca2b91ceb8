/**
 * A grid of small square heatmaps (feature maps, attention maps, gradients) as one plotly figure:
 * each panel titled above, rows labelled on the left, colour ranges shared by the whole figure,
 * by row, or per panel, and optional marks (e.g. the query position of an attention map).
 */
import type { Figure } from "./plot";

export interface HeatmapPanel {
  /** rows of values; row 0 is drawn at the top, as in an image */
  z: number[][];
  title?: string;
  /** points to mark, as [column, row] */
  marks?: [number, number][];
}

export interface HeatmapGridOptions {
  cols: number;
  title: string;
  /** one colour range for every panel (default), one per row, or each panel its own (no colour bar) */
  share?: "all" | "row" | "panel";
  /** symmetric range around 0 (default true: signed maps); false: from the smallest to the largest value */
  diverging?: boolean;
  /** force the range's ends (e.g. zmin 0 for attention weights); the other end is still computed */
  zmin?: number;
  zmax?: number;
  /** plotly colour scale (default "RdBu", red positive and blue negative, for diverging maps; "Viridis" otherwise) */
  colorscale?: string;
  colorbarTitle?: string;
  /** labels written left of each row */
  rowLabels?: string[];
}

/** The colour range of a set of panels under the options. */
function range(panels: HeatmapPanel[], o: HeatmapGridOptions): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (const p of panels)
    for (const row of p.z)
      for (const v of row)
        if (Number.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
  if (!Number.isFinite(lo)) return [0, 1];
  if (o.diverging ?? true) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return [o.zmin ?? -m, o.zmax ?? m];
  }
  return [o.zmin ?? lo, o.zmax ?? (hi > (o.zmin ?? lo) ? hi : (o.zmin ?? lo) + 1)];
}

/** Round for a compact figure (4 significant digits are plenty for colours). */
const round = (z: number[][]): number[][] => z.map((r) => r.map((v) => Number(v.toPrecision(4))));

/** Build the figure; show it with `plot(fig, { height })`. */
export function heatmapGrid(panels: HeatmapPanel[], o: HeatmapGridOptions): Figure {
  if (!panels.length) throw new Error("heatmapGrid: no panels given");
  if (!Number.isInteger(o.cols) || o.cols < 1) throw new Error(`heatmapGrid: cols must be a positive integer, got ${o.cols}`);
  panels.forEach((p, i) => {
    if (!p.z.length || p.z.some((r) => r.length !== p.z[0].length))
      throw new Error(`heatmapGrid: panel ${i} ("${p.title ?? ""}") must be a non-empty rectangle of rows`);
  });
  const share = o.share ?? "all";
  const diverging = o.diverging ?? true;
  const colorscale = o.colorscale ?? (diverging ? "RdBu" : "Viridis");
  const cols = o.cols,
    rows = Math.ceil(panels.length / cols);
  const left = o.rowLabels ? 0.08 : 0,
    right = share === "panel" ? 1 : 0.9;
  const w = (right - left) / cols,
    h = 1 / rows;
  const gapX = 0.1 * w,
    gapY = 0.22 * h;
  const data: object[] = [];
  const layout: Record<string, unknown> = { title: { text: o.title }, showlegend: false, margin: { t: 70, l: 20, r: 20, b: 20 }, annotations: [] as object[] };
  const annotations = layout.annotations as object[];
  for (let r = 0; r < rows; r++) {
    const rowPanels = panels.slice(r * cols, (r + 1) * cols);
    const y0 = 1 - (r + 1) * h,
      y1 = 1 - r * h - gapY;
    const axis = share === "all" ? "coloraxis" : share === "row" ? `coloraxis${r === 0 ? "" : r + 1}` : null;
    if (axis && (share === "row" || r === 0)) {
      const [cmin, cmax] = range(share === "all" ? panels : rowPanels, o);
      layout[axis] = {
        colorscale,
        cmin,
        cmax,
        colorbar: {
          title: { text: o.colorbarTitle ?? "" },
          len: share === "all" ? 0.9 : 0.9 * h,
          y: share === "all" ? 0.5 : (y0 + y1) / 2,
          x: 0.92,
          thickness: 14,
        },
      };
    }
    if (o.rowLabels?.[r])
      annotations.push({ text: o.rowLabels[r], xref: "paper", yref: "paper", x: 0, y: (y0 + y1) / 2, showarrow: false, xanchor: "left", textangle: -90 });
    rowPanels.forEach((p, c) => {
      const k = r * cols + c + 1;
      // plotly names the first pair of axes "x"/"xaxis", not "x1"/"xaxis1"
      const xa = k === 1 ? "x" : `x${k}`,
        ya = k === 1 ? "y" : `y${k}`;
      const x0 = left + c * w + gapX / 2,
        x1 = left + (c + 1) * w - gapX / 2;
      const colours = axis
        ? { coloraxis: axis }
        : (() => {
            const [zmin, zmax] = range([p], o);
            return { zmin, zmax, colorscale, showscale: false };
          })();
      data.push({ type: "heatmap", z: round(p.z), xaxis: xa, yaxis: ya, ...colours });
      if (p.marks?.length) {
        data.push({
          type: "scatter",
          mode: "markers",
          x: p.marks.map((m) => m[0]),
          y: p.marks.map((m) => m[1]),
          xaxis: xa,
          yaxis: ya,
          marker: { symbol: "x-thin", size: 10, color: "#e00", line: { width: 2, color: "#e00" } },
          hoverinfo: "skip",
        });
      }
      const ax = { showticklabels: false, ticks: "", showgrid: false, zeroline: false, constrain: "domain" };
      layout[xa.replace("x", "xaxis")] = { ...ax, domain: [x0, x1], anchor: ya };
      layout[ya.replace("y", "yaxis")] = { ...ax, domain: [y0, y1], anchor: xa, autorange: "reversed", scaleanchor: xa };
      if (p.title)
        annotations.push({ text: p.title, xref: "paper", yref: "paper", x: (x0 + x1) / 2, y: y1, yanchor: "bottom", showarrow: false, font: { size: 10 } });
    });
  }
  return { data, layout };
}
