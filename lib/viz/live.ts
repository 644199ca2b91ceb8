/**
 * A plot that updates in place while a loop runs (for example a training loss curve).
 */
import { randomBytes } from "crypto";
import { displayBundle, inNotebook } from "./display";
import { Figure, plotlyBundle } from "./plot";

export interface LivePlot {
  /** append points to series `name` (created on first use) and redraw, at most every `everyMs` */
  push(name: string, x: number, y: number): void;
  /** redraw now (call at the end so the last points show) */
  flush(): void;
  /** the current figure, for plotting again later */
  figure(): Figure;
}

/**
 * Start a live line plot. Each redraw replaces the previous output, so the page keeps one figure.
 * In a terminal or test it only collects the points.
 */
export function livePlot(layout: object = {}, opts: { everyMs?: number; logY?: boolean } = {}): LivePlot {
  const id = "live-" + randomBytes(6).toString("hex");
  const series = new Map<string, { x: number[]; y: number[] }>();
  const everyMs = opts.everyMs ?? 1000;
  let last = 0,
    shown = false;
  const figure = (): Figure => ({
    data: Array.from(series.entries()).map(([name, s]) => ({ type: "scatter", mode: "lines", name, x: s.x.slice(), y: s.y.slice() })),
    layout: { ...(opts.logY ? { yaxis: { type: "log" } } : {}), ...layout },
  });
  // Each redraw replaces the output (one display id), so the saved notebook keeps the last figure only.
  const draw = (): void => {
    if (!inNotebook()) return;
    displayBundle(plotlyBundle(figure()), { displayId: id, update: shown });
    shown = true;
  };
  return {
    push(name, x, y) {
      let s = series.get(name);
      if (!s) series.set(name, (s = { x: [], y: [] }));
      s.x.push(x);
      s.y.push(y);
      if (Date.now() - last >= everyMs) {
        draw();
        last = Date.now();
      }
    },
    flush: draw,
    figure,
  };
}
