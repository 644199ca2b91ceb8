/**
 * The flag parser of the command-line tools: `--name value` (or `--name=value`), `--flag` for
 * booleans, and as many positional arguments as the command takes. Everything is checked before a
 * command does any work: unknown or repeated flags, stray arguments, values of the wrong kind
 * (`--seed 1.5` where an integer is needed) or out of range (`--steps -5`) are UsageErrors, which
 * exit with code 2 and name the flag.
 */
export interface FlagSpec {
  type: "string" | "number" | "integer" | "boolean";
  default?: string | number | boolean;
  help: string;
  /** smallest value allowed (numbers) */
  min?: number;
  /** largest value allowed (numbers) */
  max?: number;
  /** the value must be greater than this (numbers) */
  above?: number;
  /** the value must be less than this (numbers) */
  below?: number;
  /** the values allowed (strings) */
  choices?: readonly string[];
}

export type FlagValue = string | number | boolean | undefined;

/** Flag values by name (defaults filled in), the positional arguments `_`, and the flags actually given `_given`. */
export type ParsedFlags = Record<string, FlagValue> & { _: string[]; _given: ReadonlySet<string> };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    // keeps `instanceof` working when the scripts are compiled to an older target
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "UsageError";
  }
}

/** How many positional arguments a command takes: exactly n, or [fewest, most]. */
export type Positionals = number | [number, number];

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, yes: true, "1": true, false: false, no: false, "0": false };
/** A decimal number as people type it (no hex, no empty string, no spaces, which Number() would take). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** What is wrong with `value` for `spec`, as "must be ..." words, or undefined when it is fine. */
export function flagProblem(spec: FlagSpec, value: unknown): string | undefined {
  if (spec.type === "string") {
    if (typeof value !== "string") return "must be text";
    return !spec.choices || spec.choices.includes(value) ? undefined : `must be one of ${spec.choices.join(", ")}`;
  }
  if (spec.type === "boolean") return typeof value === "boolean" ? undefined : "must be true or false";
  const n = value as number;
  const bounds = [
    spec.min !== undefined ? `>= ${spec.min}` : "",
    spec.above !== undefined ? `> ${spec.above}` : "",
    spec.max !== undefined ? `<= ${spec.max}` : "",
    spec.below !== undefined ? `< ${spec.below}` : "",
  ]
    .filter(Boolean)
    .join(" and ");
  const want = `must be ${spec.type === "integer" ? "an integer" : "a finite number"}${bounds ? ` ${bounds}` : ""}`;
  const ok =
    typeof n === "number" &&
    Number.isFinite(n) &&
    (spec.type !== "integer" || Number.isSafeInteger(n)) &&
    (spec.min === undefined || n >= spec.min) &&
    (spec.max === undefined || n <= spec.max) &&
    (spec.above === undefined || n > spec.above) &&
    (spec.below === undefined || n < spec.below);
  return ok ? undefined : want;
}

function parseValue(name: string, s: FlagSpec, text: string): string | number | boolean {
  if (s.type === "string") {
    const problem = flagProblem(s, text);
    if (problem) throw new UsageError(`--${name} ${problem}, got "${text}"`);
    return text;
  }
  if (s.type === "boolean") {
    const b = BOOLEAN_WORDS[text.toLowerCase()];
    if (b === undefined) throw new UsageError(`--${name} is true or false, got "${text}"`);
    return b;
  }
  const n = DECIMAL.test(text) ? Number(text) : NaN;
  const problem = flagProblem(s, n);
  if (problem) throw new UsageError(`--${name} ${problem}, got "${text}"`);
  return n;
}

function countWords(p: Positionals): string {
  const [lo, hi] = typeof p === "number" ? [p, p] : p;
  const n = lo === hi ? `${lo}` : `${lo} to ${hi}`;
  return hi === 0 ? "no arguments besides its flags" : `${n} argument${hi === 1 ? "" : "s"}`;
}

/**
 * Parse argv against `spec`; `--help` returns undefined after printing the usage. `positionals`
 * (default 0) is how many arguments that are not flags the command takes; more or fewer is an error.
 */
export function parseFlags(argv: string[], spec: Record<string, FlagSpec>, usage: string, positionals: Positionals = 0): ParsedFlags | undefined {
  const values: Record<string, FlagValue> = {};
  for (const [k, s] of Object.entries(spec)) values[k] = s.default;
  const args: string[] = [];
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      console.log(formatUsage(spec, usage));
      return undefined;
    }
    if (!a.startsWith("--")) {
      const before = argv[i - 1]?.startsWith("--") ? argv[i - 1].slice(2) : undefined;
      if (before !== undefined && spec[before]?.type === "boolean" && a.toLowerCase() in BOOLEAN_WORDS) {
        throw new UsageError(
          `--${before} takes no value, so "${a}" would be a stray argument: write --${before} to turn it on, --${before}=${a} to say it, or leave it out`,
        );
      }
      args.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    const s = spec[name];
    if (!s) {
      const known = Object.keys(spec)
        .map((k) => "--" + k)
        .join(", ");
      throw new UsageError(`unknown flag --${name}; ${known ? `known flags: ${known}` : "this command takes no flags"}`);
    }
    if (given.has(name)) throw new UsageError(`--${name} is given twice; give it once`);
    given.add(name);
    if (s.type === "boolean" && inline === undefined) {
      values[name] = true;
      continue;
    }
    const text = inline ?? argv[++i];
    if (text === undefined) throw new UsageError(`--${name} needs a value (${s.help})`);
    values[name] = parseValue(name, s, text);
  }
  const [lo, hi] = typeof positionals === "number" ? [positionals, positionals] : positionals;
  if (args.length < lo || args.length > hi) {
    throw new UsageError(
      `this command takes ${countWords(positionals)}, got ${args.length}${args.length ? ` (${args.map((x) => JSON.stringify(x)).join(" ")})` : ""}\n${usage}`,
    );
  }
  return Object.assign(values, { _: args, _given: given }) as ParsedFlags;
}

/** The usage text: the synopsis, then one line per flag with its default. */
export function formatUsage(spec: Record<string, FlagSpec>, usage: string): string {
  const lines = Object.entries(spec).map(([k, s]) => {
    const d = s.default === undefined ? "" : ` (default ${s.default})`;
    return `  --${(k + (s.type === "boolean" ? "" : " " + s.type.toUpperCase())).padEnd(28)} ${s.help}${d}`;
  });
  return `${usage}\n\nflags:\n${lines.length ? lines.join("\n") : "  (none)"}`;
}

/** The value of `f()`; whatever it throws is reported as a usage error of `flag`. */
export function forFlag<T>(flag: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

/** Run a CLI's main, printing UsageErrors and other errors as one line, with exit codes 2 and 1. */
export function runCli(main: () => Promise<void>): void {
  main().catch((e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  });
}
