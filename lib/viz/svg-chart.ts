/**
 * A small static line chart as SVG text, for files that must render without JavaScript (model cards
 * and READMEs on GitHub); notebooks use plotly instead.
 */
export interface SvgSeries {
  name: string;
  x: number[];
  y: number[];
}

export interface SvgChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  logY?: boolean;
  width?: number;
  height?: number;
}

const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2"];

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Round tick values: 1, 2 or 5 times a power of ten, about `n` of them across the range [lo, hi]. */
export function niceTicks([lo, hi]: readonly [number, number], n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n,
    mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) as number;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

/** Ticks of a log axis (positions in log10 units): 1, 2 and 5 times each power of ten in the range [lo, hi]. */
export function logTicks([lo, hi]: readonly [number, number]): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    for (const m of [1, 2, 5]) {
      const v = e + Math.log10(m);
      if (v >= lo - 1e-9 && v <= hi + 1e-9) ticks.push(v);
    }
  }
  return ticks;
}

/** Draw series as polylines with axes, ticks, labels and a legend. Non-finite points are skipped. */
export function lineChartSvg(series: SvgSeries[], opts: SvgChartOptions = {}): string {
  const W = opts.width ?? 640,
    H = opts.height ?? 320,
    L = 64,
    R = 16,
    T = opts.title ? 32 : 12,
    B = 44;
  const tf = (v: number): number => (opts.logY ? Math.log10(v) : v);
  const pts = series.flatMap((s) => s.x.map((x, i) => [x, tf(s.y[i])] as [number, number])).filter(([x, y]) => isFinite(x) && isFinite(y));
  if (!pts.length) throw new Error("lineChartSvg: no finite points to draw");
  const xs = pts.map((p) => p[0]),
    ys = pts.map((p) => p[1]);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  let [x1, y1] = [Math.max(...xs), Math.max(...ys)];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const px = (x: number): number => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number): number => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (opts.title) out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(opts.title)}</text>`);
  for (const v of niceTicks([x0, x1])) {
    out.push(
      `<line x1="${px(v)}" y1="${T}" x2="${px(v)}" y2="${H - B}" stroke="#eee"/>`,
      `<text x="${px(v)}" y="${H - B + 14}" text-anchor="middle">${v}</text>`,
    );
  }
  for (const v of opts.logY ? logTicks([y0, y1]) : niceTicks([y0, y1])) {
    if (v < y0 - 1e-12 || v > y1 + 1e-12) continue;
    const label = opts.logY ? String(+Math.pow(10, v).toPrecision(3)) : String(v);
    out.push(
      `<line x1="${L}" y1="${py(v)}" x2="${W - R}" y2="${py(v)}" stroke="#eee"/>`,
      `<text x="${L - 6}" y="${py(v) + 4}" text-anchor="end">${label}</text>`,
    );
  }
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#888"/>`);
  if (opts.xLabel) out.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel)
    out.push(
      `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(opts.yLabel)}${opts.logY ? " (log)" : ""}</text>`,
    );
  series.forEach((s, k) => {
    const every = Math.max(1, Math.ceil(s.x.length / 400)); // a readable line needs no more than ~400 points
    const d = s.x
      .map((x, i) => [x, tf(s.y[i])])
      .filter(([x, y], i) => i % every === 0 && isFinite(x) && isFinite(y))
      .map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join(" ");
    const c = COLORS[k % COLORS.length];
    out.push(`<polyline points="${d}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    out.push(
      `<rect x="${W - R - 150}" y="${T + 8 + 16 * k}" width="10" height="10" fill="${c}"/>`,
      `<text x="${W - R - 135}" y="${T + 17 + 16 * k}">${esc(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
