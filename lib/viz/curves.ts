/**
 * Figures and tables for sample-quality metrics, in the forms ADM reports them: FID, sFID, precision
 * and recall against guidance scale (paper, Figure 4), against sampling steps (Table 5's 25-step runs)
 * or against training step; trade-off curves between two metrics (precision vs recall, IS vs FID);
 * and results tables in the paper's layout, Model | FID | sFID | Prec | Rec.
 */
import { Figure } from "./plot";

export type MetricName = "fid" | "sfid" | "precision" | "recall" | "inceptionScore";

/** One evaluation at one x (a guidance scale, a number of steps, a training step ...). */
export interface MetricPoint {
  x: number;
  fid?: number;
  sfid?: number;
  precision?: number;
  recall?: number;
  inceptionScore?: number;
}

/** A line: one model or setting, evaluated at several x. */
export interface MetricSeries {
  name: string;
  points: MetricPoint[];
}

export const METRIC_LABELS: Record<MetricName, string> = {
  fid: "FID",
  sfid: "sFID",
  precision: "Precision",
  recall: "Recall",
  inceptionScore: "IS",
};

/** Lower is better for the Frechet distances, higher for the rest. */
const LOWER_IS_BETTER: Record<MetricName, boolean> = { fid: true, sfid: true, precision: false, recall: false, inceptionScore: false };

/** Common x axes; any other title works too. */
export const X_AXES = { guidance: "guidance scale", steps: "sampling steps", training: "training step" } as const;

export interface CurveOptions {
  /** x axis title, e.g. X_AXES.guidance */
  x: string;
  /** one subplot per metric, side by side (default: fid, precision, recall) */
  metrics?: MetricName[];
  /** logarithmic x axis (natural for steps and training step) */
  logX?: boolean;
  title?: string;
}

/**
 * Metrics against x: one subplot per metric, one line per series (same colour across subplots).
 * Points missing a metric are skipped in that subplot.
 */
export function metricCurves(series: MetricSeries[], opts: CurveOptions): Figure {
  const metrics = opts.metrics ?? ["fid", "precision", "recall"];
  if (metrics.length === 0) throw new Error("metricCurves: metrics is empty; name at least one of fid, sfid, precision, recall, inceptionScore");
  const colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
  const data: object[] = [];
  const layout: Record<string, unknown> = {
    title: opts.title ? { text: opts.title } : undefined,
    grid: { rows: 1, columns: metrics.length, pattern: "independent" },
    legend: { orientation: "h", y: -0.2 },
    margin: { t: opts.title ? 50 : 20 },
  };
  metrics.forEach((metric, m) => {
    const suffix = m === 0 ? "" : String(m + 1);
    series.forEach((s, i) => {
      const points = s.points.filter((p) => p[metric] !== undefined).sort((a, b) => a.x - b.x);
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: s.name,
        legendgroup: s.name,
        showlegend: m === 0,
        x: points.map((p) => p.x),
        y: points.map((p) => p[metric]),
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        line: { color: colours[i % colours.length] },
        hovertemplate: `${s.name}<br>${opts.x} %{x}<br>${METRIC_LABELS[metric]} %{y:.4g}<extra></extra>`,
      });
    });
    layout[`xaxis${suffix}`] = { title: { text: opts.x }, type: opts.logX ? "log" : "linear" };
    layout[`yaxis${suffix}`] = {
      title: { text: `${METRIC_LABELS[metric]} (${LOWER_IS_BETTER[metric] ? "lower" : "higher"} is better)` },
      range: metric === "precision" || metric === "recall" ? [0, 1] : undefined,
    };
  });
  return { data, layout };
}

/**
 * One metric against another across a sweep, e.g. precision against recall or IS against FID as the
 * guidance scale grows (the paper's Figure 4 trade-off); each point is labelled with its x.
 */
export function tradeoffCurve(series: MetricSeries[], opts: { x: MetricName; y: MetricName; sweep: string; title?: string }): Figure {
  const data = series.map((s) => {
    const points = s.points.filter((p) => p[opts.x] !== undefined && p[opts.y] !== undefined).sort((a, b) => a.x - b.x);
    return {
      type: "scatter",
      mode: "lines+markers+text",
      name: s.name,
      x: points.map((p) => p[opts.x]),
      y: points.map((p) => p[opts.y]),
      text: points.map((p) => String(p.x)),
      textposition: "top center",
      hovertemplate: `${s.name}<br>${opts.sweep} %{text}<br>${METRIC_LABELS[opts.x]} %{x:.4g}<br>${METRIC_LABELS[opts.y]} %{y:.4g}<extra></extra>`,
    };
  });
  return {
    data,
    layout: {
      title: { text: opts.title ?? `${METRIC_LABELS[opts.y]} vs ${METRIC_LABELS[opts.x]} across ${opts.sweep}` },
      xaxis: { title: { text: METRIC_LABELS[opts.x] } },
      yaxis: { title: { text: METRIC_LABELS[opts.y] } },
    },
  };
}

/** A row of a results table. */
export interface ResultRow {
  model: string;
  fid?: number;
  sfid?: number;
  precision?: number;
  recall?: number;
  inceptionScore?: number;
}

export interface TableOptions {
  /** decimals shown (default 2, as the paper) */
  digits?: number;
  /** bold the best value of each column (default true, as the paper) */
  boldBest?: boolean;
}

/** Columns in the paper's order; IS only when some row has it. */
function tableColumns(rows: ResultRow[]): MetricName[] {
  const cols: MetricName[] = ["fid", "sfid", "precision", "recall"];
  if (rows.some((r) => r.inceptionScore !== undefined)) cols.push("inceptionScore");
  return cols;
}

const HEADERS: Record<MetricName, string> = { fid: "FID", sfid: "sFID", precision: "Prec", recall: "Rec", inceptionScore: "IS" };

/** Cells as [text, isBest] per row and column; a missing value is "-". */
function tableCells(rows: ResultRow[], opts: TableOptions): Array<Array<[string, boolean]>> {
  const digits = opts.digits ?? 2;
  const cols = tableColumns(rows);
  const best = cols.map((c) => {
    const values = rows.map((r) => r[c]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (values.length < 2 || opts.boldBest === false) return undefined;
    return LOWER_IS_BETTER[c] ? Math.min(...values) : Math.max(...values);
  });
  return rows.map((r) =>
    cols.map((c, j): [string, boolean] => {
      const v = r[c];
      if (v === undefined) return ["-", false];
      return [v.toFixed(digits), best[j] !== undefined && v.toFixed(digits) === (best[j] as number).toFixed(digits)];
    }),
  );
}

/** The table as GitHub markdown, best values in bold. */
export function resultsMarkdown(rows: ResultRow[], opts: TableOptions = {}): string {
  const cols = tableColumns(rows);
  const cells = tableCells(rows, opts);
  const lines = [
    `| Model | ${cols.map((c) => HEADERS[c]).join(" | ")} |`,
    `|:--|${cols.map(() => "--:").join("|")}|`,
    ...rows.map((r, i) => `| ${r.model.replace(/\|/g, "\\|")} | ${cells[i].map(([t, b]) => (b ? `**${t}**` : t)).join(" | ")} |`),
  ];
  return lines.join("\n");
}

const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The table as an HTML <table>, best values in bold. */
export function resultsHtml(rows: ResultRow[], opts: TableOptions = {}): string {
  const cols = tableColumns(rows);
  const cells = tableCells(rows, opts);
  const head = `<tr><th style="text-align:left">Model</th>${cols.map((c) => `<th>${HEADERS[c]}</th>`).join("")}</tr>`;
  const body = rows
    .map((r, i) => `<tr><td style="text-align:left">${escapeHtml(r.model)}</td>${cells[i].map(([t, b]) => `<td>${b ? `<b>${t}</b>` : t}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table class="adm-results" style="text-align:right">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}
