/**
 * Seeded fuzzing of every loader (issue 16): a fixed number of mutated .pt, safetensors, .npy, .npz
 * and IDX files, each of which must either load as a well-formed record or be refused with an
 * AdmInputError naming the file, within a time and a memory bound. Anything else (a TypeError, a
 * RangeError, a hang, a multi-gigabyte allocation) fails the test with the case's seed and index.
 *
 * ADM_FUZZ_SEED and ADM_FUZZ_CASES (per format) change the run for a deeper search by hand; CI
 * uses the defaults (about 20-30 s on one core).
 */
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { readIdx } from "../../lib/data/idx";
import { AdmInputError, loadTorchCheckpoint, readNpy, readNpz, readSafetensors } from "../../lib/io";
import { DTYPE_BYTES, StateDict, TensorRecord, shapeSize } from "../../lib/io/tensor-record";
import { makeRng } from "../../lib/rng";
import { FORMATS, FormatName } from "./corpus";

const SEED = Number(process.env.ADM_FUZZ_SEED ?? 16);
const CASES = Number(process.env.ADM_FUZZ_CASES ?? 6000);
/** per case: a loader that checks first needs milliseconds and a few MiB (a gzip bomb runs to its cap) */
const MAX_CASE_MS = 3000;
const MAX_CASE_MIB = 256;

/** Why `t` is not a well-formed record, or "" when it is. */
function malformed(t: TensorRecord): string {
  if (!(t.dtype in DTYPE_BYTES)) return `dtype ${t.dtype}`;
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return `shape ${String(t.shape)}`;
  if (shapeSize(t.shape) !== t.data.length) return `shape [${t.shape}] with ${t.data.length} values`;
  if (t.data.BYTES_PER_ELEMENT !== (t.dtype === "float16" || t.dtype === "bfloat16" ? 2 : DTYPE_BYTES[t.dtype]))
    return `dtype ${t.dtype} in a ${t.data.constructor.name}`;
  return "";
}

function checkDict(d: StateDict): string {
  for (const [k, t] of d) {
    if (typeof k !== "string") return `key ${String(k)}`;
    const why = malformed(t);
    if (why) return `${k}: ${why}`;
  }
  return "";
}

/** Load `file` as `format`; returns "" for a well-formed result, else what is wrong with it. */
function load(format: FormatName, file: string): string {
  switch (format) {
    case "pt":
      return checkDict(loadTorchCheckpoint(file));
    case "safetensors": {
      const r = readSafetensors(file);
      const badMeta = Object.values(r.metadata).some((v) => typeof v !== "string");
      return badMeta ? "non-string metadata" : checkDict(r.tensors);
    }
    case "npy":
      return malformed(readNpy(file));
    case "npz":
      return checkDict(readNpz(file));
    case "idx": {
      const a = readIdx(file);
      return a.dims.reduce((x, y) => x * y, 1) === a.data.length ? "" : `dims [${a.dims}] with ${a.data.length} bytes`;
    }
  }
}

interface Tally {
  loaded: number;
  refused: number;
  maxMs: number;
  maxMiB: number;
  ms: number;
  totalMiB: number;
}

describe("fuzzing the loaders with hostile and damaged files", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "adm-fuzz-"));
  const tallies = new Map<FormatName, Tally>();
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    const rows = [...tallies].map(
      ([f, t]) =>
        `${f.padEnd(12)} ${String(t.loaded + t.refused).padStart(6)} ${String(t.loaded).padStart(7)} ${String(t.refused).padStart(8)} ${(t.ms / 1000).toFixed(1).padStart(7)} s ${String(t.maxMs).padStart(7)} ms ${t.maxMiB.toFixed(0).padStart(6)} MiB ${t.totalMiB.toFixed(0).padStart(6)} MiB`,
    );
    console.log(
      `loader fuzz, seed ${SEED}, ${CASES} cases per format (peak+: the most one case raised peak RSS; run+: the whole format)\n` +
        `format        cases  loaded  refused    time   slowest   peak+    run+\n${rows.join("\n")}`,
    );
  });

  for (const [i, format] of FORMATS.entries()) {
    test(`${format.name}: ${CASES} mutated files each load well-formed or throw AdmInputError naming the file`, () => {
      const rng = makeRng(SEED * 101 + i);
      const tally: Tally = { loaded: 0, refused: 0, maxMs: 0, maxMiB: 0, ms: 0, totalMiB: 0 };
      const start = process.resourceUsage().maxRSS;
      tallies.set(format.name, tally);
      const failures: string[] = [];
      for (let k = 0; k < CASES; k++) {
        const file = path.join(dir, `${format.name}-${k}${format.ext}`);
        writeFileSync(file, format.next(rng));
        const rss0 = process.resourceUsage().maxRSS;
        const t0 = performance.now();
        let outcome: string;
        try {
          const why = load(format.name, file);
          outcome = why ? `loaded a malformed record (${why})` : "loaded";
        } catch (e) {
          outcome =
            e instanceof AdmInputError && e.file === file && e.message.startsWith(`${file}: `)
              ? "refused"
              : `threw ${(e as Error).name}: ${(e as Error).message}`;
        }
        const ms = performance.now() - t0;
        const mib = (process.resourceUsage().maxRSS - rss0) / 1024;
        tally.ms += ms;
        tally.maxMs = Math.max(tally.maxMs, Math.round(ms));
        tally.maxMiB = Math.max(tally.maxMiB, mib);
        if (outcome === "loaded") tally.loaded++;
        else if (outcome === "refused") tally.refused++;
        else failures.push(`case ${k} (seed ${SEED}): ${outcome}`);
        if (ms > MAX_CASE_MS) failures.push(`case ${k} (seed ${SEED}): took ${ms.toFixed(0)} ms`);
        if (mib > MAX_CASE_MIB) failures.push(`case ${k} (seed ${SEED}): raised peak memory by ${mib.toFixed(0)} MiB`);
        if (failures.length === 0) rmSync(file);
      }
      tally.totalMiB = (process.resourceUsage().maxRSS - start) / 1024;
      expect(failures.slice(0, 10)).toEqual([]);
      // the corpus must exercise both outcomes, or the mutations have stopped reaching the parsers
      expect(tally.loaded).toBeGreaterThan(0);
      expect(tally.refused).toBeGreaterThan(CASES / 4);
    });
  }
});
