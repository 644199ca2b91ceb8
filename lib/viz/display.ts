/**
 * Send rich output to the notebook from the tslab kernel.
 *
 * tslab's public `display` sends one mime type per call; a plotly figure needs a bundle (HTML for
 * nbconvert pages and the classic notebook, plotly JSON for front ends that render it natively, plain
 * text for terminals), so we call tslab's internal writer, which the kernel and cells share.
 */
export type MimeBundle = Record<string, unknown>;

interface TslabJupyter {
  lastWriteDisplayData: ((data: unknown, update: boolean) => void) | null;
}

function writer(): ((data: unknown, update: boolean) => void) | null {
  try {
    // tslab's writer exists only inside its kernel, so it is looked up at call time
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("tslab/dist/jupyter") as TslabJupyter).lastWriteDisplayData;
  } catch {
    return null;
  }
}

/** True when running inside a tslab kernel (a notebook cell), false in plain node or jest. */
export function inNotebook(): boolean {
  return writer() !== null;
}

/**
 * Display a mime bundle. `displayId` makes an updatable display: calling again with the same id and
 * `update: true` replaces the output in place (used for live plots and progress).
 */
export function displayBundle(data: MimeBundle, opts: { displayId?: string; update?: boolean } = {}): void {
  const write = writer();
  if (!write) throw new Error("displayBundle: not running inside a tslab kernel (use it from a notebook cell)");
  const transient = opts.displayId ? { display_id: opts.displayId } : {};
  write({ data, metadata: {}, transient }, opts.update === true);
}

/** Display a Markdown string (LaTeX allowed) in the notebook. */
export function showMarkdown(md: string): void {
  displayBundle({ "text/markdown": md, "text/plain": md });
}

/** Display an HTML fragment in the notebook. */
export function showHtml(html: string, plain = "[html]"): void {
  displayBundle({ "text/html": html, "text/plain": plain });
}
