import { ChildProcess, spawn, spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { basename, join, resolve } from "path";
import { readSafetensors } from "../../lib/io/safetensors";
import { readNpz } from "../../lib/io/npz";

const ADM = resolve(__dirname, "../../scripts/adm.js");
const TRAIN = ["train", "--config", "test-tiny", "--batch", "4", "--data", "subset", "--save-every", "3", "--warmup", "0"];

function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync("node", [ADM, ...args], { encoding: "utf8", timeout: 120000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

function savedStep(dir: string): number {
  const p = join(dir, "state.safetensors");
  return existsSync(p) ? Number(readSafetensors(p).metadata.step) : 0;
}

/** How long the killed run may take to save its first checkpoint (3 steps of test-tiny take a few seconds). */
const POLL_DEADLINE_MS = 60000;

/**
 * Resolve once `ready()` holds, checking every 100 ms; reject with a message naming `what` if `child`
 * exits first or `ms` pass, so that a stuck run fails here rather than at jest's timeout.
 */
function pollUntil(ready: () => boolean, child: ChildProcess, ms: number, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + ms;
    const stop = (error?: Error): void => {
      clearInterval(poll);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve();
    };
    const onExit = (code: number | null, signal: string | null): void =>
      stop(new Error(`waited for ${what}, but the process exited first (code ${code}, signal ${signal})`));
    const poll = setInterval(() => {
      if (ready()) stop();
      else if (Date.now() > deadline) stop(new Error(`waited ${ms / 1000} s for ${what}; it did not happen`));
    }, 100);
    child.on("exit", onExit);
  });
}

function losses(dir: string): number[] {
  return (JSON.parse(readSafetensors(join(dir, "state.safetensors")).metadata.history) as { loss: number }[]).map((s) => s.loss);
}

describe("adm-ts train and sample", () => {
  it("a SIGKILLed run loses only the steps since its last checkpoint, and --resume repeats the uninterrupted losses", async () => {
    const base = mkdtempSync(join(tmpdir(), "cli-"));
    const straight = join(base, "straight"), killed = join(base, "killed");
    expect(run([...TRAIN, "--out", straight, "--steps", "9"]).status).toBe(0);

    const child = spawn("node", [ADM, ...TRAIN, "--out", killed, "--steps", "1000"], { stdio: "ignore" });
    const exited = new Promise((r) => child.on("exit", r));
    try {
      await pollUntil(() => savedStep(killed) >= 3, child, POLL_DEADLINE_MS, `the run in ${killed} to save its step-3 checkpoint`);
    } finally {
      child.kill("SIGKILL");
    }
    await exited;
    const at = savedStep(killed);
    expect(at % 3).toBe(0); // whatever was saved is a whole checkpoint
    expect(at).toBeLessThan(9);

    const resumed = run(["train", "--out", killed, "--resume", "--steps", "9"]);
    expect(resumed.out).toContain(`resumed ${killed} at step ${at}`);
    expect(losses(killed)).toEqual(losses(straight));
  }, 120000);

  it("refuses to overwrite a run and explains bad flags", () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-"));
    expect(run([...TRAIN, "--out", dir, "--steps", "1"]).status).toBe(0);
    const again = run([...TRAIN, "--out", dir, "--steps", "2"]);
    expect(again.status).toBe(2);
    expect(again.out).toMatch(/already holds a checkpoint; pass --resume/);
    expect(run(["train", "--config", "nope", "--out", join(dir, "x")]).out).toMatch(/--config nope is not a course configuration/);
    expect(run(["train", "--bogus", "1"]).out).toMatch(/unknown flag --bogus/);
    expect(run(["sample", "--model", dir, "--sampler", "euler"]).out).toMatch(/--sampler must be ddim, ddpm or dpm\+\+/);
  }, 60000);

  it("starts a run from a trained model's weights with --init-from and records where it began", () => {
    const base = mkdtempSync(join(tmpdir(), "cli-"));
    const src = join(base, "src"), tuned = join(base, "tuned");
    expect(run([...TRAIN, "--out", src, "--steps", "2"]).status).toBe(0);
    const r = run([...TRAIN, "--out", tuned, "--steps", "1", "--init-from", src]);
    expect(r.out).toContain(`initialised from ${src} (test-tiny, step 2)`);
    const config = JSON.parse(readSafetensors(join(tuned, "state.safetensors")).metadata.config);
    expect(config.initFrom).toEqual({ dir: src, name: "test-tiny", step: 2, foldedNullClass: null });
    expect(run(["train", "--out", tuned, "--resume", "--init-from", src]).out).toMatch(/--init-from starts a new run/);
    expect(run([...TRAIN, "--out", join(base, "x"), "--init-from", join(base, "missing")]).out).toMatch(/--init-from .*missing: no model.safetensors there/);
  }, 60000);

  it("anneals the learning rate of a resumed run from where it resumed (--lr-anneal-steps)", () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-"));
    expect(run([...TRAIN, "--out", dir, "--steps", "2"]).status).toBe(0);
    expect(run(["train", "--out", dir, "--resume", "--steps", "3", "--lr-anneal-steps", "2"]).out).toMatch(/--lr-anneal-steps must be an integer step after the current one \(2\), got 2/);
    expect(run(["train", "--out", dir, "--resume", "--steps", "3", "--lr-anneal-steps", "6"]).status).toBe(0);
    const config = JSON.parse(readSafetensors(join(dir, "state.safetensors")).metadata.config);
    expect(config.lrAnneal).toEqual({ steps: 6, from: 2 });
    expect(run(["train", "--out", dir, "--resume", "--steps", "4", "--lr-anneal-steps", "8"]).out).toMatch(/already anneals to 0 at step 6/);
    // once the anneal has reached 0, a new one restarts from the full rate and the finished one is kept
    expect(run(["train", "--out", dir, "--resume", "--steps", "6"]).status).toBe(0);
    expect(run(["train", "--out", dir, "--resume", "--steps", "7"]).out).toMatch(/learning rate reached 0 at step 6.*pass --lr-anneal-steps 7/);
    expect(run(["train", "--out", dir, "--resume", "--steps", "7", "--lr-anneal-steps", "8"]).status).toBe(0);
    const restarted = JSON.parse(readSafetensors(join(dir, "state.safetensors")).metadata.config);
    expect([restarted.lrAnnealsDone, restarted.lrAnneal]).toEqual([[{ steps: 6, from: 2 }], { steps: 8, from: 6 }]);
    const card = run(["model-card", dir, "--n", "2", "--steps", "2", "--cfg", ""]);
    expect(card.status).toBe(0);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain(
      `--steps 2\nnpx adm-ts train --out models/${basename(dir)} --resume --steps 6 --lr-anneal-steps 6\nnpx adm-ts train --out models/${basename(dir)} --resume --steps 7 --lr-anneal-steps 8\n`);
  }, 60000);

  it("writes a model card with plain and classifier-free-guided samples judged by the feature classifier", () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-"));
    expect(run([...TRAIN, "--out", dir, "--steps", "2"]).status).toBe(0);
    const r = run(["model-card", dir, "--n", "10", "--steps", "3", "--cfg", "2"]);
    expect(r.status).toBe(0);
    const card = readFileSync(join(dir, "README.md"), "utf8");
    expect(card).toMatch(/\| conditional, no guidance \| \[samples.png\]\(samples.png\) \| \d+\.\d% \| [\d.]+ s \|/);
    expect(card).toMatch(/\| classifier-free guidance w = 2 \| \[samples-cfg-2.png\]/);
    expect(card).toContain("--config test-tiny");
    for (const f of ["samples.png", "samples-cfg-2.png", "loss.svg"]) expect(existsSync(join(dir, f))).toBe(true);
    expect(run(["model-card", dir, "--cfg", "2,x"]).out).toMatch(/--cfg takes comma-separated non-negative numbers, got 2,x/);
  }, 60000);

  it("samples a PNG grid and an ADM-format npz with classifier-free guidance", () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-"));
    expect(run([...TRAIN, "--out", dir, "--steps", "2"]).status).toBe(0);
    const out = join(dir, "s");
    const r = run(["sample", "--model", dir, "--n", "6", "--steps", "3", "--cfg-scale", "2", "--out", out]);
    expect(r.out).toContain("wrote");
    const npz = readNpz(out + ".npz");
    expect(npz.get("arr_0")!.dtype).toBe("uint8");
    expect(npz.get("arr_0")!.shape).toEqual([6, 32, 32, 1]);
    expect(Array.from(npz.get("arr_1")!.data as BigInt64Array, Number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(existsSync(out + ".png")).toBe(true);
  }, 60000);
});
