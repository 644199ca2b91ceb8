/**
 * Progress for long work: a bar on stderr in a terminal (steps, rate, ETA), or an in-place updating
 * line in a notebook. The same object serves both, so library loops report progress once.
 */
import { randomBytes } from "crypto";
import { displayBundle, inNotebook } from "./display";

export interface Progress {
  /** advance by `n` steps (default 1), with an optional note such as the current loss */
  tick(n?: number, note?: string): void;
  /** finish: print the final line */
  done(note?: string): void;
}

export interface ProgressOptions {
  /** where the bar goes: "auto" (notebook display in a notebook, else stderr), "stderr", "notebook", "none" */
  to?: "auto" | "stderr" | "notebook" | "none";
  /** minimum milliseconds between redraws (default 200) */
  everyMs?: number;
}

/** Format seconds as h:mm:ss or m:ss. */
export function formatDuration(s: number): string {
  if (!isFinite(s)) return "?";
  s = Math.round(s);
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return (h > 0 ? `${h}:` : "") + `${mm}:${String(sec).padStart(2, "0")}`;
}

/** What one progress line shows: `done` of `total` steps after `elapsedS` seconds. */
export interface ProgressState {
  label: string;
  done: number;
  total: number;
  elapsedS: number;
  note?: string;
}

/** The text of a progress line: `label [#####.....] 50/100 12.3 it/s ETA 0:04 note`. */
export function progressLine({ label, done, total, elapsedS, note = "" }: ProgressState): string {
  const width = 24;
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(frac * width);
  const rate = elapsedS > 0 ? done / elapsedS : 0;
  const eta = rate > 0 ? (total - done) / rate : Infinity;
  const rateText = rate >= 1 || rate === 0 ? `${rate.toFixed(1)} it/s` : `${(1 / rate).toFixed(2)} s/it`;
  return (
    `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${rateText} ` +
    `elapsed ${formatDuration(elapsedS)} ETA ${done >= total ? "0:00" : formatDuration(eta)}${note ? " " + note : ""}`
  );
}

/** Start a progress bar over `total` steps. */
export function progress(label: string, total: number, opts: ProgressOptions = {}): Progress {
  let to = opts.to ?? "auto";
  if (to === "auto") to = inNotebook() ? "notebook" : "stderr";
  const everyMs = opts.everyMs ?? 200;
  const start = Date.now();
  const id = "progress-" + randomBytes(6).toString("hex");
  let count = 0,
    last = 0,
    lastLogged = 0,
    shown = false;
  const tty = process.stderr.isTTY === true;
  const draw = (note: string, final: boolean): void => {
    const line = progressLine({ label, done: count, total, elapsedS: (Date.now() - start) / 1000, note });
    if (to === "notebook") {
      displayBundle({ "text/plain": line, "text/html": `<pre style="margin:0">${line}</pre>` }, { displayId: id, update: shown });
      shown = true;
    } else if (to === "stderr") {
      // a terminal redraws one line; a log file gets a line every 30 s
      if (tty) process.stderr.write("\r" + line + (final ? "\n" : ""));
      else if (final || Date.now() - lastLogged > 30000) {
        process.stderr.write(line + "\n");
        lastLogged = Date.now();
      }
    }
  };
  return {
    tick(n = 1, note = "") {
      count += n;
      const now = Date.now();
      if (now - last >= everyMs || count >= total) {
        draw(note, false);
        last = now;
      }
    },
    done(note = "") {
      draw(note, true);
    },
  };
}
