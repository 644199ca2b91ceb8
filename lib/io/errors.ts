/**
 * The one error every loader throws for a file it will not read: a checkpoint, an array file or a
 * data set that is truncated, corrupt, hostile, or asks for more memory than the caller allows.
 * It names the file, the place inside it (a key, header field, zip member or byte offset) and what
 * to change, so a notebook or the command line can show it as it is; nothing else about the file is
 * trusted. Anything else a loader throws is a bug in the loader.
 */

export interface InputProblem {
  /** the file (as the caller named it) */
  file: string;
  /** where in the file: a key, a header field, a zip member or a byte offset */
  at: string;
  /** what is wrong, as found */
  problem: string;
  /** what to change: the file, the way it was saved, or a limit */
  fix: string;
}

export class AdmInputError extends Error implements InputProblem {
  readonly file: string;
  readonly at: string;
  readonly problem: string;
  readonly fix: string;

  constructor(p: InputProblem) {
    super(`${p.file}: ${p.problem} (at ${p.at}); ${p.fix}`);
    // keeps `instanceof` working when tslab compiles to an older target
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "AdmInputError";
    this.file = p.file;
    this.at = p.at;
    this.problem = p.problem;
    this.fix = p.fix;
  }
}

/** Throw an AdmInputError (a function, so that it can end an expression). */
export function refuse(file: string, at: string, problem: string, fix: string): never {
  throw new AdmInputError({ file, at, problem, fix });
}

/** What to tell the user about a file that is damaged rather than of the wrong kind. */
export const REDOWNLOAD = "the file is damaged or cut short: download or save it again";

/** True for a safe non-negative integer, the only kind of length, count, offset or dimension a file may give. */
export function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * A short, cycle-safe description of a value read from a file, for messages: a pickle can build a
 * list that contains itself, and a header can hold megabytes, so nothing is printed whole.
 */
export function describe(v: unknown, depth = 2): string {
  if (v === null) return "None";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (v instanceof Map) return `dict(${v.size} items)`;
  if (Array.isArray(v)) {
    if (depth === 0) return `[${v.length} items]`;
    const head = v.slice(0, 5).map((x) => describe(x, depth - 1));
    return `[${head.join(", ")}${v.length > 5 ? ", ..." : ""}]`;
  }
  if (typeof v === "object") {
    const o = v as { kind?: unknown; module?: unknown; name?: unknown };
    if (o.kind === "global") return `${String(o.module)}.${String(o.name)}`;
    if (typeof o.kind === "string") return `a ${o.kind}`;
    const keys = Object.keys(v);
    return `{${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", ..." : ""}}`;
  }
  return typeof v;
}
