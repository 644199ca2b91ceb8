/**
 * Image grids as PNG (made with sharp), for notebooks and scripts.
 */
import sharp from "sharp";
import { displayBundle, inNotebook } from "./display";

export interface GridOptions {
  /** images per row (default: ceil(sqrt(n))) */
  cols?: number;
  /** integer upscaling with nearest neighbour, so 28x28 images are visible (default 3) */
  scale?: number;
  /** pixels between images (default 1) */
  gap?: number;
  /**
   * How pixel values map to 0..255: "signed" for [-1, 1] (the library's convention), "unit" for
   * [0, 1], "byte" for 0..255. Default: guessed from the value range.
   */
  range?: "signed" | "unit" | "byte";
}

/** A batch of images in NHWC layout as flat numbers. */
export interface ImageBatch {
  data: ArrayLike<number>;
  /** [n, height, width, channels] with channels 1 or 3 */
  shape: [number, number, number, number];
}

function guessRange(data: ArrayLike<number>): "signed" | "unit" | "byte" {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < lo) lo = data[i];
    if (data[i] > hi) hi = data[i];
  }
  if (hi > 1.5) return "byte";
  return lo < -0.01 ? "signed" : "unit";
}

/** Convert one value to a byte under a range convention, clamping to 0..255. */
function toByte(v: number, range: "signed" | "unit" | "byte"): number {
  const b = range === "signed" ? (v + 1) * 127.5 : range === "unit" ? v * 255 : v;
  return b <= 0 ? 0 : b >= 255 ? 255 : Math.round(b);
}

/** Tile a batch of images into one PNG. */
export async function imageGridPng(batch: ImageBatch, opts: GridOptions = {}): Promise<Buffer> {
  const [n, h, w, c] = batch.shape;
  if (c !== 1 && c !== 3) throw new Error(`imageGridPng: channels must be 1 or 3, got shape [${batch.shape}]`);
  if (batch.data.length < n * h * w * c) {
    throw new Error(`imageGridPng: data has ${batch.data.length} values, shape [${batch.shape}] needs ${n * h * w * c}`);
  }
  const cols = Math.max(1, Math.min(n, opts.cols ?? Math.ceil(Math.sqrt(n))));
  const rows = Math.ceil(n / cols);
  const gap = opts.gap ?? 1;
  const W = cols * w + (cols - 1) * gap,
    H = rows * h + (rows - 1) * gap;
  const range = opts.range ?? guessRange(batch.data);
  const grid = Buffer.alloc(W * H * c, 255);
  for (let k = 0; k < n; k++) {
    const gx = (k % cols) * (w + gap),
      gy = Math.floor(k / cols) * (h + gap);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          grid[((gy + y) * W + gx + x) * c + ch] = toByte(batch.data[((k * h + y) * w + x) * c + ch], range);
        }
      }
    }
  }
  const scale = Math.max(1, Math.round(opts.scale ?? 3));
  return sharp(grid, { raw: { width: W, height: H, channels: c } })
    .resize(W * scale, H * scale, { kernel: "nearest" })
    .png()
    .toBuffer();
}

/** Labels for the rows and columns of a grid (row r is images r * cols .. r * cols + cols - 1). */
export interface GridLabels {
  /** one label per row, shown to the left of it */
  rowLabels?: string[];
  /** one label per column, shown above it */
  colLabels?: string[];
}

/**
 * The grid as an HTML table with row and column labels: one PNG per image (so labels line up with
 * images in every front end), a header row when `colLabels` is given.
 */
export async function labelledGridHtml(batch: ImageBatch, opts: GridOptions & GridLabels = {}): Promise<string> {
  const [n, h, w, c] = batch.shape;
  const cols = Math.max(1, Math.min(n, opts.cols ?? Math.ceil(Math.sqrt(n))));
  const rows = Math.ceil(n / cols);
  if (opts.rowLabels && opts.rowLabels.length !== rows)
    throw new Error(`labelledGridHtml: ${rows} rows of ${cols} images need ${rows} rowLabels; got ${opts.rowLabels.length}`);
  if (opts.colLabels && opts.colLabels.length !== cols)
    throw new Error(`labelledGridHtml: ${cols} columns need ${cols} colLabels; got ${opts.colLabels.length}`);
  const range = opts.range ?? guessRange(batch.data);
  const per = h * w * c;
  const cell = "padding:1px 2px;text-align:center;font-size:85%;color:#444;white-space:nowrap";
  const out: string[] = ['<table style="border-collapse:collapse;margin:0">'];
  if (opts.colLabels) {
    out.push(
      "<tr>" +
        (opts.rowLabels ? "<th></th>" : "") +
        opts.colLabels.map((l) => `<th style="${cell};font-weight:normal">${escapeHtml(l)}</th>`).join("") +
        "</tr>",
    );
  }
  for (let r = 0; r < rows; r++) {
    const tds: string[] = opts.rowLabels ? [`<th style="${cell};text-align:right;font-weight:normal">${escapeHtml(opts.rowLabels[r])}</th>`] : [];
    for (let k = r * cols; k < Math.min(n, (r + 1) * cols); k++) {
      const data = Array.prototype.slice.call(batch.data, k * per, (k + 1) * per) as number[];
      const png = await imageGridPng({ data, shape: [1, h, w, c] }, { scale: opts.scale, range });
      tds.push(`<td style="padding:1px"><img class="adm-grid" src="data:image/png;base64,${png.toString("base64")}"/></td>`);
    }
    out.push("<tr>" + tds.join("") + "</tr>");
  }
  out.push("</table>");
  return out.join("\n");
}

/**
 * Show an image grid in the notebook (PNG, with an optional caption; with `rowLabels` or
 * `colLabels`, as a labelled table). Outside a notebook it returns the PNG without displaying it.
 * The PNG is stored once, in the HTML output (an image/png copy beside it would double the saved
 * notebook for nothing: every front end here shows the HTML).
 */
export async function showImages(batch: ImageBatch, opts: GridOptions & GridLabels & { caption?: string } = {}): Promise<Buffer> {
  const png = await imageGridPng(batch, opts);
  if (inNotebook()) {
    const b64 = png.toString("base64");
    const caption = opts.caption ? `<div style="font-size:90%;color:#555">${escapeHtml(opts.caption)}</div>` : "";
    const grid = opts.rowLabels || opts.colLabels ? await labelledGridHtml(batch, opts) : `<img class="adm-grid" src="data:image/png;base64,${b64}"/>`;
    displayBundle({
      "text/html": `<figure style="margin:0">${grid}${caption}</figure>`,
      "text/plain": `<image grid: ${batch.shape[0]} images ${batch.shape[1]}x${batch.shape[2]}>`,
    });
  }
  return png;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
