/**
 * A small flag parser for the command-line tools: `--name value`, `--flag` for booleans, positional
 * arguments; unknown flags and bad values fail with a message that names the flag.
 */
export interface FlagSpec {
  type: "string" | "number" | "boolean";
  default?: string | number | boolean;
  help: string;
}

export type ParsedFlags = Record<string, string | number | boolean | undefined> & { _: string[] };

export class UsageError extends Error {}

/** Parse argv against `spec`; `--help` returns undefined after printing the usage. */
export function parseFlags(argv: string[], spec: Record<string, FlagSpec>, usage: string): ParsedFlags | undefined {
  const out = { _: [] as string[] } as ParsedFlags;
  for (const [k, s] of Object.entries(spec)) out[k] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      console.log(formatUsage(spec, usage));
      return undefined;
    }
    if (!a.startsWith("--")) {
      out._.push(a);
      continue;
    }
    const [rawName, inline] = a.slice(2).split(/=(.*)/s, 2);
    const s = spec[rawName];
    if (!s) throw new UsageError(`unknown flag --${rawName}; known flags: ${Object.keys(spec).map((k) => "--" + k).join(", ")}`);
    if (s.type === "boolean") {
      out[rawName] = inline === undefined ? true : !["false", "0", "no"].includes(inline.toLowerCase());
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${rawName} needs a value (${s.help})`);
    if (s.type === "number") {
      const n = Number(value);
      if (!isFinite(n)) throw new UsageError(`--${rawName} must be a number, got "${value}"`);
      out[rawName] = n;
    } else {
      out[rawName] = value;
    }
  }
  return out;
}

/** The usage text: the synopsis, then one line per flag with its default. */
export function formatUsage(spec: Record<string, FlagSpec>, usage: string): string {
  const lines = Object.entries(spec).map(([k, s]) => {
    const d = s.default === undefined ? "" : ` (default ${s.default})`;
    return `  --${(k + (s.type === "boolean" ? "" : " " + s.type.toUpperCase())).padEnd(28)} ${s.help}${d}`;
  });
  return `${usage}\n\nflags:\n${lines.join("\n")}`;
}

/** Run a CLI's main, printing UsageErrors and other errors as one line, with exit codes 2 and 1. */
export function runCli(main: () => Promise<void>): void {
  main().catch((e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  });
}
