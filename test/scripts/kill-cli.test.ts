/**
 * SIGKILL `adm-ts train` and `adm-ts sample` at random moments, many times, and check after every
 * kill that no file under a final name is partial: each one present reads back whole, a
 * checkpoint's model and state are one save (or the model is one save ahead, which a resume
 * repairs), and a sample's .npz never sits beside a grid from another run. Half of the kills land
 * inside a write (a few milliseconds after its temporary file appears), the others anywhere in
 * the process's life. A final run without a kill must leave no temporary file behind.
 */
import { ChildProcess, spawn } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, watch } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import sharp from "sharp";
import { readNpz } from "../../lib/io/npz";
import { readSafetensors } from "../../lib/io/safetensors";
import { imageGridPng } from "../../lib/viz/images";

const ADM = resolve(__dirname, "../../scripts/adm.js");
/** Seconds of killing per command; the whole file stays near a minute. */
const BUDGET_S = 22;
const MIN_KILLS = 6;
/** How long one process may run before the test calls it stuck. */
const STUCK_MS = 60000;

/** mulberry32: the kill schedule is reproducible (the machine's timing is not). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

type Kill = { inWrite: true; delayMs: number } | { inWrite: false; atMs: number } | undefined;

/**
 * Run adm-ts with `args`; with `kill`, SIGKILL it `delayMs` after the first temporary file of one of
 * `finals` appears in `dir`, or `atMs` after it starts. Resolves with how it ended and its runtime.
 */
function runAndKill(
  args: string[],
  dir: string,
  finals: string[],
  kill: Kill,
): Promise<{ code: number | null; signal: string | null; ms: number; out: string; renamed: Map<string, number> }> {
  return new Promise((done, fail) => {
    const t0 = Date.now();
    const child: ChildProcess = spawn(process.execPath, [ADM, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let out = "";
    child.stderr!.on("data", (b: Buffer) => (out += b.toString()).length > 4000 && (out = out.slice(-2000)));
    let timer: NodeJS.Timeout | undefined;
    const killNow = (): void => void child.kill("SIGKILL");
    const renamed = new Map<string, number>();
    const watcher = watch(dir, (event, name) => {
      if (event === "rename" && name && finals.includes(String(name))) renamed.set(String(name), (renamed.get(String(name)) ?? 0) + 1);
      if (kill?.inWrite && timer === undefined && name && finals.some((f) => String(name).startsWith(`${f}.tmp-`))) timer = setTimeout(killNow, kill.delayMs);
    });
    if (kill && !kill.inWrite) timer = setTimeout(killNow, kill.atMs);
    const stuck = setTimeout(() => {
      killNow();
      fail(new Error(`adm-ts ${args.join(" ")} ran past ${STUCK_MS / 1000} s (kill ${JSON.stringify(kill)}): ${out}`));
    }, STUCK_MS);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(stuck);
      watcher.close();
      done({ code, signal, ms: Date.now() - t0, out, renamed });
    });
  });
}

const temps = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes(".tmp-"));

function tally(counts: Map<string, number>, what: string): void {
  counts.set(what, (counts.get(what) ?? 0) + 1);
}

function report(what: string, counts: Map<string, number>): string {
  return `${what}: ${[...counts].map(([k, v]) => `${v} ${k}`).join(", ")}`;
}

describe("SIGKILL never leaves a partial file under a final name", () => {
  it("adm-ts train: every checkpoint file present reads whole; model and state are one save or the model one ahead", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kill-train-"));
    const out = join(dir, "run");
    mkdirSync(out);
    const finals = ["model.safetensors", "state.safetensors", "run.json"];
    const start = ["train", "--config", "test-tiny", "--batch", "1", "--data", "subset", "--warmup", "0", "--save-every", "1", "--out", out];
    const first = await runAndKill([...start, "--steps", "2"], out, finals, undefined);
    expect(first.code).toBe(0);
    const random = rng(16);
    const counts = new Map<string, number>();
    const t0 = Date.now();
    let kills = 0,
      inWrite = 0;
    while (kills < MIN_KILLS || Date.now() - t0 < BUDGET_S * 1000) {
      const kill: Kill =
        random() < 0.5 ? { inWrite: true, delayMs: Math.floor(random() * 6) } : { inWrite: false, atMs: Math.floor(random() * first.ms * 1.2) };
      // without --save-every: a resumed run keeps the interval it was started with (1), so it writes a checkpoint after every step
      const r = await runAndKill(["train", "--out", out, "--resume", "--steps", "100000"], out, finals, kill);
      expect([r.signal, r.code === null ? "" : r.out]).toEqual(["SIGKILL", ""]);
      kills++;
      if (kill.inWrite) inWrite++;
      const left = temps(out);
      const state = readSafetensors(join(out, "state.safetensors")).metadata; // whole: the header's ranges must tile the file exactly
      const model = readSafetensors(join(out, "model.safetensors")).metadata;
      JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
      if (model.saveId === state.modelSaveId)
        tally(counts, left.length ? "times the pair was intact beside temporary files (killed while writing)" : "times the pair was intact, nothing left over");
      else {
        expect(Number(model.step)).toBeGreaterThan(Number(state.step)); // the model's rename came first: it may be one save ahead, never behind
        tally(counts, "times the model was one save ahead of the state (killed between the renames)");
      }
    }
    const before = Number(readSafetensors(join(out, "state.safetensors")).metadata.step);
    const final = await runAndKill(["train", "--out", out, "--resume", "--steps", String(before + 3)], out, finals, undefined);
    expect(final.code).toBe(0);
    expect(temps(out)).toEqual([]);
    const state = readSafetensors(join(out, "state.safetensors")).metadata;
    expect(readSafetensors(join(out, "model.safetensors")).metadata.saveId).toBe(state.modelSaveId);
    // a resumed run keeps the interval it was started with: a checkpoint after each of its 3 steps
    expect([Number(state.step), final.renamed.get("state.safetensors")]).toEqual([before + 3, 3]);
    console.log(`${report(`train: ${kills} SIGKILLs (${inWrite} aimed inside a write)`, counts)}; final step ${state.step}`);
  }, 240000);

  it("adm-ts sample: the grid and the arrays read whole, and an .npz only ever sits beside its own grid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kill-sample-"));
    const model = join(dir, "model");
    const train = await runAndKill(
      ["train", "--config", "test-tiny", "--batch", "1", "--data", "subset", "--warmup", "0", "--steps", "1", "--out", model],
      dir,
      [],
      undefined,
    );
    expect(train.code).toBe(0);
    const outDir = join(dir, "out");
    mkdirSync(outDir);
    const out = join(outDir, "s");
    const n = 3;
    const sampleArgs = (seed: number) => ["sample", "--model", model, "--n", String(n), "--steps", "2", "--seed", String(seed), "--out", out];
    const first = await runAndKill(sampleArgs(0), outDir, [], undefined);
    expect(first.code).toBe(0);
    const random = rng(61);
    const counts = new Map<string, number>();
    const t0 = Date.now();
    let kills = 0,
      inWrite = 0;
    let previous = readFileSync(`${out}.npz`);
    for (let seed = 1; kills < MIN_KILLS || Date.now() - t0 < BUDGET_S * 1000; seed++) {
      const kill: Kill =
        random() < 0.5 ? { inWrite: true, delayMs: Math.floor(random() * 8) } : { inWrite: false, atMs: Math.floor(random() * first.ms * 1.2) };
      const r = await runAndKill(sampleArgs(seed), outDir, ["s.png", "s.npz"], kill);
      if (r.signal !== "SIGKILL") {
        expect(r.code).toBe(0); // it finished before the kill came
        tally(counts, "runs that finished before their kill");
      } else {
        kills++;
        if (kill.inWrite) inWrite++;
      }
      const left = temps(outDir);
      const hasPng = existsSync(`${out}.png`),
        hasNpz = existsSync(`${out}.npz`);
      if (hasPng)
        await sharp(readFileSync(`${out}.png`))
          .raw()
          .toBuffer(); // decodes whole, or throws
      if (hasNpz) {
        const images = readNpz(`${out}.npz`).get("arr_0")!;
        expect(images.shape).toEqual([n, 32, 32, 1]);
        expect(hasPng).toBe(true);
        // the grid beside the arrays is the one made from them
        const grid = await imageGridPng({ data: images.data as Uint8Array, shape: [n, 32, 32, 1] }, { cols: 10, range: "byte", scale: 2 });
        expect(readFileSync(`${out}.png`).equals(grid)).toBe(true);
        const now = readFileSync(`${out}.npz`);
        tally(
          counts,
          now.equals(previous)
            ? left.length
              ? "times an older pair was intact beside temporary files"
              : "times an older pair was intact"
            : "times a new pair was in place",
        );
        previous = now;
      } else {
        tally(counts, "times a grid stood without arrays (a run was killed between its renames)");
      }
    }
    const final = await runAndKill(sampleArgs(0), outDir, [], undefined);
    expect(final.code).toBe(0);
    expect(temps(outDir)).toEqual([]);
    console.log(report(`sample: ${kills} SIGKILLs (${inWrite} aimed inside a write)`, counts));
  }, 240000);
});
