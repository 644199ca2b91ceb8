/**
 * Plotly figures in notebooks and course pages, with no network and no copy of plotly.js (4.8 MB)
 * in the saved notebook.
 *
 * A figure is one HTML output that holds its data once: a div with a placeholder sentence (what a
 * front end that runs no scripts shows, such as the classic notebook for an untrusted notebook) and a
 * script that loads plotly.js once per page and draws the figure in place of the sentence. So every
 * saved notebook draws on its own, whichever cells were re-run. plotly.js comes from what shows the page:
 *   - a Jupyter server (classic notebook, JupyterLab) whose root is the repository, as `npm run lab`
 *     starts it: <base url>files/node_modules/plotly.js-dist-min/plotly.min.js
 *   - a course page (nbconvert HTML in build/course/): plotly.min.js next to the page, copied there
 *     by scripts/run-notebooks.py
 * VS Code (its kernels see VSCODE_PID) draws the plotly mime type with its own plotly.js, so there
 * a figure is that JSON only. `inlineJs: true` makes one output self-contained for any other viewer.
 */
import { readFileSync } from "fs";
import { randomBytes } from "crypto";
import { displayBundle, inNotebook, MimeBundle } from "./display";

/** A plotly figure: traces, layout and config, exactly as plotly.js takes them. */
export interface Figure {
  data: object[];
  layout?: object;
  config?: object;
}

export interface PlotOptions {
  /** Inline plotly.js (4.8 MB) into this output, for a viewer that serves no files. Default false. */
  inlineJs?: boolean;
  /** Height of the figure in pixels (default 420). */
  height?: number;
}

/** Where a Jupyter server started at the repository root serves plotly.js (below its base url). */
export const PLOTLY_SERVER_PATH = "files/node_modules/plotly.js-dist-min/plotly.min.js";
/** The file a course page loads, next to the page. */
export const PLOTLY_PAGE_FILE = "plotly.min.js";
/** What a figure shows until its script runs. */
export const PLACEHOLDER = "plot not drawn: trust this notebook (File > Trust) or run the cell";

let plotlySource: string | undefined;

// Read as text: requiring plotly.js-dist-min in Node would touch `window`.
function plotlyJs(): string {
  if (plotlySource === undefined) {
    plotlySource = readFileSync(require.resolve("plotly.js-dist-min"), "utf8").replace(/<\/script/gi, "<\\/script");
  }
  return plotlySource;
}

/**
 * JSON for a script: numbers to 6 significant digits (integers exact; plots and hover text show
 * fewer), typed arrays as arrays (JSON.stringify would make them objects), `<` escaped so that no
 * string can close the script.
 */
export function figureJson(v: unknown): string {
  const json = JSON.stringify(v ?? {}, (_key, x: unknown) => {
    if (typeof x === "number") return Number.isInteger(x) || !Number.isFinite(x) ? x : Number(x.toPrecision(6));
    if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<number>);
    return x;
  });
  return json.replace(/</g, "\\u003c");
}

/**
 * The page-side loader, as the text of a function `(id, data, layout, config)`. It runs in the
 * browser, so it is plain ES5. One load per page: the first figure adds the script tag, later ones
 * queue behind it; a failed load is forgotten so that a figure drawn later tries again.
 */
const LOADER = `function (id, data, layout, config) {
  var el = document.getElementById(id);
  if (!el) return;
  var draw = function () { el.textContent = ""; window.Plotly.newPlot(el, data, layout, config); };
  if (window.Plotly) return draw();
  var load = window.__admPlotly;
  if (!load) {
    var cfg = document.getElementById("jupyter-config-data");
    var base = document.body.getAttribute("data-base-url") || (cfg ? JSON.parse(cfg.textContent).baseUrl : null);
    var url = base ? base.replace(/\\/?$/, "/") + ${JSON.stringify(PLOTLY_SERVER_PATH)} : ${JSON.stringify(PLOTLY_PAGE_FILE)};
    load = window.__admPlotly = { url: url, waiting: [] };
    var s = document.createElement("script");
    s.src = url;
    s.onload = s.onerror = function () {
      if (!window.Plotly) window.__admPlotly = undefined;
      for (var i = 0; i < load.waiting.length; i++) load.waiting[i]();
    };
    document.head.appendChild(s);
  }
  load.waiting.push(function () {
    if (window.Plotly) return draw();
    el.textContent = "plot not drawn: plotly.js did not load from " + load.url + (load.url === ${JSON.stringify(PLOTLY_PAGE_FILE)}
      ? " (keep plotly.min.js next to this page)" : " (start Jupyter with npm run lab: it serves the repository, node_modules included)");
  });
}`;

/** The HTML (a div with the placeholder, and a script) that draws `fig`; self-contained when `inlineJs`. */
export function plotlyHtml(fig: Figure, opts: PlotOptions = {}): string {
  const id = "plotly-" + randomBytes(6).toString("hex");
  const config = fig.config ?? { responsive: true, displaylogo: false };
  const inline = opts.inlineJs ? `if (!window.Plotly) {\n${plotlyJs()}\n}\n` : "";
  return (
    `<div id="${id}" class="adm-plot" style="width:100%;height:${opts.height ?? 420}px;">${PLACEHOLDER}</div>\n` +
    `<script type="text/javascript">(function(){\n${inline}(${LOADER})(${JSON.stringify(id)}, ` +
    `${figureJson(fig.data)}, ${figureJson(fig.layout)}, ${figureJson(config)});\n})();</script>`
  );
}

/** True when the kernel was started by VS Code, which draws `application/vnd.plotly.v1+json` itself. */
export function inVsCode(): boolean {
  return process.env.VSCODE_PID !== undefined;
}

/**
 * The mime bundle for a figure, its data stored once: the HTML above for nbconvert pages, the
 * classic notebook and JupyterLab; the plotly JSON alone for VS Code.
 */
export function plotlyBundle(fig: Figure, opts: PlotOptions = {}): MimeBundle {
  const plain = `<Plotly figure: ${fig.data.length} trace(s)>`;
  if (inVsCode() && !opts.inlineJs) {
    return {
      "application/vnd.plotly.v1+json": JSON.parse(figureJson({ data: fig.data, layout: fig.layout ?? {}, config: fig.config ?? {} })),
      "text/plain": plain,
    };
  }
  return { "text/html": plotlyHtml(fig, opts), "text/plain": plain };
}

/**
 * Show a figure in the notebook. Outside a notebook (scripts, tests) it does nothing and returns the
 * figure, so library code can build plots unconditionally.
 */
export function plot(fig: Figure, opts: PlotOptions = {}): Figure {
  if (inNotebook()) displayBundle(plotlyBundle(fig, opts));
  return fig;
}
