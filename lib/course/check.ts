/**
 * Checkers for the notebooks' exercises: run the function a student wrote and the library's on the
 * same inputs, compare every number, and say what differs (which case, which element, by how much)
 * instead of only "wrong". Inputs come from a seeded generator, so a check is reproducible.
 *
 *   const result = checkFunction("posterior mean", yourPosteriorMean, libraryPosteriorMean, cases);
 *   // shows "✓ posterior mean matches the library on 5 inputs (largest difference 2.4e-8)" in the notebook
 */
import * as tf from "@tensorflow/tfjs";
import { makeRng } from "../rng";
import { inNotebook, showMarkdown } from "../viz/display";

/** What a checked function may return: numbers, arrays or tensors of them, or an object of those. */
export type Checkable = number | ArrayLike<number> | tf.Tensor | { [key: string]: Checkable };

/** The outcome of a check. */
export interface CheckResult {
  ok: boolean;
  /** one line for the student */
  message: string;
  /** largest absolute difference over every case (Infinity if a shape, key or finiteness differs) */
  largestDifference: number;
}

/** Options of {@link checkFunction}. */
export interface CheckOptions {
  /** allowed difference |yours - library| <= atol + rtol |library| (defaults 1e-5 and 1e-4) */
  atol?: number;
  rtol?: number;
  /** shown when the check fails: the idea a wrong answer most often misses */
  hint?: string;
  /** show the result in the notebook (default: when running in one) */
  display?: boolean;
  /** names of the arguments, for the message (e.g. ["x0", "t"]) */
  argNames?: string[];
}

interface Flat {
  values: number[];
  shape: number[];
}

/** Flatten a checkable value into named leaves (key "" for a single value). */
function leaves(v: Checkable, path = ""): Map<string, Flat> {
  if (typeof v === "number") return new Map([[path, { values: [v], shape: [] }]]);
  if (v instanceof tf.Tensor) return new Map([[path, { values: Array.from(v.dataSync()), shape: v.shape }]]);
  if (typeof (v as ArrayLike<number>).length === "number") {
    const a = v as ArrayLike<number>;
    return new Map([[path, { values: Array.from(a), shape: [a.length] }]]);
  }
  if (v === null || typeof v !== "object")
    throw new Error(`checkFunction: results must be numbers, arrays, tensors or objects of them; got ${v === null ? "null" : typeof v}`);
  const out = new Map<string, Flat>();
  for (const [k, child] of Object.entries(v as Record<string, Checkable>)) for (const [p, f] of leaves(child, path ? `${path}.${k}` : k)) out.set(p, f);
  return out;
}

/** Row-major index of element k in `shape`, as "[i, j, ...]". */
function indexOf(k: number, shape: number[]): string {
  if (shape.length === 0) return "";
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(k % shape[d]);
    k = Math.floor(k / shape[d]);
  }
  return `[${idx.join(", ")}]`;
}

const fmt = (x: number): string =>
  x === 0 ? "0" : Number.isFinite(x) ? (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toFixed(5).replace(/\.?0+$/, "") : x.toExponential(3)) : String(x);

/** Compare one case; returns the largest difference and, if it fails, what differs. */
function compare(yours: Checkable, theirs: Checkable, atol: number, rtol: number): { diff: number; problem?: string } {
  const a = leaves(yours);
  const b = leaves(theirs);
  const missing = [...b.keys()].filter((k) => !a.has(k));
  if (missing.length) return { diff: Infinity, problem: `your result has no ${missing.map((k) => `"${k}"`).join(", ")}` };
  let worst = 0;
  for (const [key, want] of b) {
    const got = a.get(key) as Flat;
    const where = key ? `"${key}" ` : "";
    if (got.values.length !== want.values.length) {
      return {
        diff: Infinity,
        problem: `${where}has ${got.values.length} numbers (shape [${got.shape.join(", ")}]); the library's has ${want.values.length} (shape [${want.shape.join(", ")}])`,
      };
    }
    for (let k = 0; k < want.values.length; k++) {
      const g = got.values[k];
      const w = want.values[k];
      const diff = Math.abs(g - w);
      if (!Number.isFinite(g) && Number.isFinite(w))
        return { diff: Infinity, problem: `${where}element ${indexOf(k, want.shape)} is ${g}; the library gives ${fmt(w)}` };
      if (diff > atol + rtol * Math.abs(w))
        return { diff, problem: `${where}element ${indexOf(k, want.shape)}: yours ${fmt(g)}, the library's ${fmt(w)} (difference ${fmt(diff)})` };
      if (Number.isFinite(diff)) worst = Math.max(worst, diff);
    }
  }
  return { diff: worst };
}

function describeArgs(args: unknown[], names: string[] | undefined): string {
  const show = (v: unknown): string =>
    v instanceof tf.Tensor ? `tensor [${v.shape.join(", ")}]` : typeof v === "number" ? fmt(v) : Array.isArray(v) ? `array of ${v.length}` : typeof v;
  return args.map((v, i) => (names?.[i] ? `${names[i]} = ${show(v)}` : show(v))).join(", ");
}

/**
 * Run `yours` and `reference` on every argument list in `cases` and compare the results number by
 * number. Tensors created on the way are freed. The result is shown in the notebook and returned.
 */
export function checkFunction<A extends unknown[]>(
  name: string,
  yours: (...args: A) => Checkable,
  reference: (...args: A) => Checkable,
  cases: A[],
  opts: CheckOptions = {},
): CheckResult {
  if (cases.length === 0) throw new Error(`checkFunction("${name}"): give at least one case to check`);
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-4;
  let result: CheckResult | undefined;
  let worst = 0;
  for (let c = 0; c < cases.length && !result; c++) {
    const args = cases[c];
    tf.tidy(() => {
      let want: Checkable;
      try {
        want = reference(...args);
      } catch (e) {
        throw new Error(`checkFunction("${name}"): the reference itself failed on case ${c + 1}: ${(e as Error).message}`, { cause: e });
      }
      let got: Checkable;
      try {
        got = yours(...args);
      } catch (e) {
        result = {
          ok: false,
          largestDifference: Infinity,
          message: `✗ ${name}: your function threw on case ${c + 1} (${describeArgs(args, opts.argNames)}): ${(e as Error).message}`,
        };
        return;
      }
      if (got === undefined) {
        result = { ok: false, largestDifference: Infinity, message: `✗ ${name}: your function returned nothing (did you forget \`return\`?)` };
        return;
      }
      const { diff, problem } = compare(got, want, atol, rtol);
      if (problem)
        result = {
          ok: false,
          largestDifference: diff,
          message: `✗ ${name} differs on case ${c + 1} of ${cases.length} (${describeArgs(args, opts.argNames)}): ${problem}`,
        };
      else worst = Math.max(worst, diff);
    });
  }
  if (result && opts.hint) result.message += `\n  hint: ${opts.hint}`;
  result ??= {
    ok: true,
    largestDifference: worst,
    message: `✓ ${name} matches the library on ${cases.length} input${cases.length > 1 ? "s" : ""} (largest difference ${worst.toExponential(1)})`,
  };
  if (opts.display ?? inNotebook()) showMarkdown((result.ok ? "" : "**") + result.message.replace(/\n/g, "  \n") + (result.ok ? "" : "**"));
  return result;
}

/**
 * `n` argument lists made by `make(rng, k)` from a seeded uniform source, for checks on random
 * inputs that are the same on every run.
 */
export function randomCases<A extends unknown[]>(n: number, make: (uniform: () => number, k: number) => A, seed = 0): A[] {
  const rng = makeRng(seed);
  return Array.from({ length: n }, (_, k) => make(() => rng.uniform(), k));
}
