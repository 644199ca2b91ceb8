/**
 * How much memory a load may use, decided before anything is allocated. A file's headers can claim
 * any size; a loader believes a claim only after checking it against the file's real size and
 * against a budget of decoded bytes (tensor data, inflated zip members, pickles) that is
 *
 *   budget = min(maxBytes, 64 MiB + maxExpansion * file size)
 *
 * The first bound keeps any one load below what a machine can hold (8 GiB by default, several
 * times ADM's largest released checkpoint); the second keeps a small file small: a 1 MB zip bomb
 * may decode to at most 164 MB, not 3 GB. A caller that trusts a file raises either bound per call
 * (`{ maxBytes, maxExpansion }`) or for the whole process (ADM_MAX_LOAD_BYTES, ADM_MAX_LOAD_EXPANSION).
 */
import { refuse } from "./errors";

export interface LoadLimits {
  /** most bytes one load may decode, whatever the file's size (default 8 GiB) */
  maxBytes?: number;
  /** most decoded bytes per byte of the file, beyond a 64 MiB allowance (default 100) */
  maxExpansion?: number;
}

/** The defaults, used when neither the call nor the environment sets a limit. */
export const DEFAULT_LOAD_LIMITS: Readonly<Required<LoadLimits>> = Object.freeze({ maxBytes: 8 * 2 ** 30, maxExpansion: 100 });

/** Bytes any file may decode to, however small it is. */
export const EXPANSION_ALLOWANCE = 64 * 2 ** 20;

/** The bytes one load has decoded so far, against its budget. */
export interface DecodeBudget {
  readonly file: string;
  readonly limit: number;
  readonly used: number;
  /** Throw unless `n` more bytes (for `at`) fit in what is left; takes nothing. */
  check(n: number, at: string): void;
  /** Check, then count `n` bytes as decoded. */
  take(n: number, at: string): void;
  /** Refuse the file: decoding `at` needs more than is left (`n` bytes when known). */
  overflow(at: string, n?: number): never;
}

/** "1.5 GiB", "272 B": sizes in messages. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

function positive(v: number | undefined, file: string, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !(v > 0)) refuse(file, `option ${name}`, `${name} is ${String(v)}`, `give ${name} as a positive number`);
  return v;
}

function fromEnv(variable: string): number | undefined {
  const text = process.env[variable];
  if (text === undefined || text === "") return undefined;
  const v = Number(text);
  if (!(v > 0))
    refuse(
      `environment variable ${variable}`,
      variable,
      `"${text}" is not a positive number`,
      `set ${variable} to a number such as ${variable === "ADM_MAX_LOAD_BYTES" ? "17179869184 (16 GiB)" : "1000"}, or unset it`,
    );
  return v;
}

/** The limits in force for one call: the call's own, else the environment's, else the defaults. */
export function resolveLimits(file: string, limits: LoadLimits = {}): Required<LoadLimits> {
  return {
    maxBytes: positive(limits.maxBytes, file, "maxBytes") ?? fromEnv("ADM_MAX_LOAD_BYTES") ?? DEFAULT_LOAD_LIMITS.maxBytes,
    maxExpansion: positive(limits.maxExpansion, file, "maxExpansion") ?? fromEnv("ADM_MAX_LOAD_EXPANSION") ?? DEFAULT_LOAD_LIMITS.maxExpansion,
  };
}

/** A fresh budget for loading `file`, which is `fileSize` bytes long. */
export function decodeBudget(file: string, fileSize: number, limits: LoadLimits = {}): DecodeBudget {
  const { maxBytes, maxExpansion } = resolveLimits(file, limits);
  const bySize = EXPANSION_ALLOWANCE + maxExpansion * fileSize;
  const limit = Math.min(maxBytes, bySize);
  let used = 0;
  const overflow = (at: string, n?: number): never => {
    const raise =
      maxBytes <= bySize
        ? `maxBytes (${formatBytes(maxBytes)}): pass { maxBytes } or set ADM_MAX_LOAD_BYTES`
        : `maxExpansion (${maxExpansion} x the file's ${formatBytes(fileSize)}, plus ${formatBytes(EXPANSION_ALLOWANCE)}): pass { maxExpansion } or set ADM_MAX_LOAD_EXPANSION`;
    const needs = n === undefined ? "more than" : `${formatBytes(used + n)} (${used + n} bytes), more than`;
    return refuse(
      file,
      at,
      `decoding it needs ${needs} the ${formatBytes(limit)} this load may use`,
      `if you trust the file and have the memory, raise ${raise}`,
    );
  };
  const check = (n: number, at: string) => {
    if (n > limit - used) overflow(at, n);
  };
  return {
    file,
    limit,
    get used() {
      return used;
    },
    check,
    take(n, at) {
      check(n, at);
      used += n;
    },
    overflow,
  };
}
