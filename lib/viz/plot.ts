/**
 * Plotly figures in notebooks, with no network: plotly.js is read from the `plotly.js-dist-min`
 * package and inlined into the first figure of a page; later figures wait for `window.Plotly`.
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
  /** Inline plotly.js (4.8 MB) into this output. Default: only for the first figure of the kernel session. */
  inlineJs?: boolean;
  /** Height of the figure in pixels (default 420). */
  height?: number;
}

let plotlySource: string | undefined;
let inlinedOnce = false;

// Read as text: requiring plotly.js-dist-min in Node would touch `window`.
function plotlyJs(): string {
  if (plotlySource === undefined) {
    plotlySource = readFileSync(require.resolve("plotly.js-dist-min"), "utf8").replace(/<\/script/gi, "<\\/script");
  }
  return plotlySource;
}

const safeJson = (v: unknown): string => JSON.stringify(v ?? {}).replace(/</g, "\\u003c");

/** The HTML (a div and a script) that draws `fig`; self-contained when `inlineJs` is true. */
export function plotlyHtml(fig: Figure, opts: PlotOptions = {}): string {
  const id = "plotly-" + randomBytes(6).toString("hex");
  const config = fig.config ?? { responsive: true, displaylogo: false };
  const draw = `window.Plotly.newPlot(${JSON.stringify(id)}, ${safeJson(fig.data)}, ${safeJson(fig.layout)}, ${safeJson(config)});`;
  const load = opts.inlineJs ? `if (!window.Plotly) {\n${plotlyJs()}\n}\n` : "";
  return (
    `<div id="${id}" class="adm-plot" style="width:100%;height:${opts.height ?? 420}px;"></div>\n` +
    `<script type="text/javascript">(function(){\n${load}` +
    `(function wait(n){ if (window.Plotly) { ${draw} } else if (n > 0) { setTimeout(function(){ wait(n-1); }, 100); } ` +
    `else { document.getElementById(${JSON.stringify(id)}).textContent = "plotly.js not loaded: rerun the first plot cell"; } })(100);\n})();</script>`
  );
}

/** The mime bundle for a figure: HTML for nbconvert and the classic notebook, plotly JSON for JupyterLab/VS Code. */
export function plotlyBundle(fig: Figure, opts: PlotOptions = {}): MimeBundle {
  return {
    "application/vnd.plotly.v1+json": { data: fig.data, layout: fig.layout ?? {}, config: fig.config ?? {} },
    "text/html": plotlyHtml(fig, opts),
    "text/plain": `<Plotly figure: ${fig.data.length} trace(s)>`,
  };
}

/**
 * Show a figure in the notebook. Outside a notebook (scripts, tests) it does nothing and returns the
 * figure, so library code can build plots unconditionally.
 */
export function plot(fig: Figure, opts: PlotOptions = {}): Figure {
  if (!inNotebook()) return fig;
  const inlineJs = opts.inlineJs ?? claimInlineJs();
  displayBundle(plotlyBundle(fig, { ...opts, inlineJs }));
  return fig;
}

/**
 * True for the first figure of the kernel session (which must carry plotly.js), false afterwards.
 * A saved page runs its outputs top to bottom, so later figures find `window.Plotly`.
 */
export function claimInlineJs(): boolean {
  if (inlinedOnce) return false;
  inlinedOnce = true;
  return true;
}
