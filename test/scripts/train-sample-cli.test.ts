import { ChildProcess, spawn, spawnSync } from "child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { basename, join, resolve } from "path";
import { readSafetensors, writeSafetensors } from "../../lib/io/safetensors";
import { readNpz } from "../../lib/io/npz";
import { toFloat32 } from "../../lib/io/tensor-record";
import { AdmInputError } from "../../lib/io/errors";
import { EncoderUNetModel } from "../../lib/models/encoder-unet";
import { initTrainState } from "../../lib/train/loop";
import { saveCheckpoint } from "../../lib/train/checkpoint";
import type { EncoderUNetConfig } from "../../lib/models/config";
import { initBackend } from "../../lib/backend";
import { UsageError } from "../../scripts/cli-args";
import { main as sampleMain } from "../../scripts/sample";
import { main as trainMain } from "../../scripts/train";

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
    const straight = join(base, "straight"),
      killed = join(base, "killed");
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
    expect(run(["sample", "--model", dir, "--sampler", "euler"]).out).toMatch(/--sampler must be one of ddpm, ddim, dpm\+\+, got "euler"/);
  }, 60000);

  it("keeps EMA snapshots every --ema-snapshot-every steps beside the checkpoint", () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-"));
    expect(run([...TRAIN, "--out", dir, "--steps", "6", "--ema-snapshot-every", "3"]).status).toBe(0);
    expect(readdirSync(join(dir, "ema-snapshots"))).toEqual(["step-000003.safetensors", "step-000006.safetensors"]);
    const last = readSafetensors(join(dir, "ema-snapshots", "step-000006.safetensors"));
    expect(last.metadata.step).toBe("6");
    // the snapshot is model.safetensors's EMA weights in float16
    const model = readSafetensors(join(dir, "model.safetensors")).tensors;
    const [name, half] = Array.from(last.tensors)[0];
    const full = toFloat32(model.get(name)!);
    toFloat32(half).forEach((v, i) => expect(Math.abs(v - full[i])).toBeLessThanOrEqual(Math.abs(full[i]) * 2 ** -11 + 2 ** -24));
  }, 60000);

  it("starts a run from a trained model's weights with --init-from and records where it began", () => {
    const base = mkdtempSync(join(tmpdir(), "cli-"));
    const src = join(base, "src"),
      tuned = join(base, "tuned");
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
    expect(run(["train", "--out", dir, "--resume", "--steps", "3", "--lr-anneal-steps", "2"]).out).toMatch(
      /--lr-anneal-steps must be an integer step after the current one \(2\), got 2/,
    );
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
    const card = run(["model-card", dir, "--n", "2", "--steps", "2", "--cfg", "", "--fid-n", "0"]);
    expect(card.status).toBe(0);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain(
      `--steps 2\nnpx adm-ts train --out models/${basename(dir)} --resume --steps 6 --lr-anneal-steps 6\nnpx adm-ts train --out models/${basename(dir)} --resume --steps 7 --lr-anneal-steps 8\n`,
    );
  }, 60000);

  it("writes a model card with plain and classifier-free-guided samples judged by the feature classifier", () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-"));
    expect(run([...TRAIN, "--out", dir, "--steps", "2"]).status).toBe(0);
    const r = run(["model-card", dir, "--n", "10", "--steps", "3", "--cfg", "2", "--fid-n", "0"]);
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

/** The message of the UsageError (exit code 2) `p` rejects with. */
async function usageError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect([(e as Error).message, e instanceof UsageError]).toEqual([(e as Error).message, true]);
    return (e as Error).message;
  }
  throw new Error("expected a UsageError");
}

/** Rewrite a safetensors file with `change` applied to its tensors and metadata. */
function edit(path: string, change: (f: ReturnType<typeof readSafetensors>) => void): void {
  const f = readSafetensors(path);
  change(f);
  writeSafetensors(path, f.tensors, f.metadata);
}

/** A noisy classifier directory (untrained) for a diffusion of `steps` steps and images of `size`. */
function classifierDir(base: string, name: string, steps: number, size: number, noised = true): string {
  const dir = join(base, name);
  const encoder: EncoderUNetConfig = {
    imageSize: size,
    inChannels: 1,
    modelChannels: 32,
    outChannels: 10,
    numResBlocks: 1,
    attentionResolutions: [],
    channelMult: [1],
    pool: "adaptive",
  };
  const net = new EncoderUNetModel(encoder);
  saveCheckpoint(dir, net, initTrainState(net, []), {
    name,
    model: { kind: "classifier", noised, encoder, diffusion: { steps, noiseSchedule: "cosine", learnSigma: true } },
  });
  net.dispose();
  return dir;
}

describe("adm-ts refuses what it cannot do, up front, naming the flag (exit code 2)", () => {
  const base = mkdtempSync(join(tmpdir(), "cli-refuse-"));
  const model = join(base, "model");
  const quiet = [jest.spyOn(console, "log").mockImplementation(() => undefined), jest.spyOn(console, "error").mockImplementation(() => undefined)];
  beforeAll(async () => {
    await initBackend("wasm");
    expect(run([...TRAIN, "--out", model, "--steps", "1"]).status).toBe(0);
  }, 60000);
  afterAll(() => quiet.forEach((q) => q.mockRestore()));

  it("sample: counts, ranges, eta, a guidance scale without a classifier, classes", async () => {
    const sample = (...args: string[]) => usageError(sampleMain(["--model", model, "--n", "2", "--steps", "2", "--out", join(base, "s"), ...args]));
    expect(await sample("--seed", "1.5")).toBe('--seed must be an integer >= 0 and <= 4294967295, got "1.5"');
    expect(await usageError(sampleMain(["--model", model, "--steps", "-5"]))).toBe('--steps must be an integer >= 1, got "-5"');
    expect(await usageError(sampleMain(["--model", model, "--n", "1e9"]))).toBe('--n must be an integer >= 1 and <= 50000, got "1e9"');
    expect(await usageError(sampleMain(["--model", model, "--steps", "500"]))).toMatch(
      /^--steps: ddim needs steps >= 1 and at most the diffusion's 100 timesteps; got 500/,
    );
    expect(await sample("--eta", "1e10")).toMatch(/^--eta 10000000000 is too large for 2 ddim steps of this model: at most 1\.\d{4}/);
    expect(await sample("--sampler", "ddpm", "--eta", "0.5")).toBe("--eta applies to ddim only; --sampler ddpm has no eta");
    expect(await sample("--scale", "10")).toMatch(/^--scale is the classifier guidance scale: it needs --classifier DIR/);
    expect(await sample("--class", "12")).toBe("--class must be 0-9 or 'all', got 12");
    expect(await sample("stray")).toMatch(/^this command takes no arguments besides its flags, got 1 \("stray"\)/);
  }, 60000);

  it("sample: a classifier trained for another diffusion, image size or on clean images", async () => {
    const sample = (classifier: string) =>
      usageError(sampleMain(["--model", model, "--n", "2", "--steps", "2", "--out", join(base, "s"), "--classifier", classifier]));
    const steps1000 = classifierDir(base, "c1000", 1000, 32);
    expect(await sample(steps1000)).toMatch(
      new RegExp(`^--classifier: ${steps1000}/model\\.safetensors: it was trained on a 1000-step diffusion but the model on 100 steps`),
    );
    expect(await sample(classifierDir(base, "c16", 100, 16))).toMatch(/it classifies 16x16x1 images but the model makes 32x32x1/);
    expect(await sample(classifierDir(base, "clean", 100, 32, false))).toMatch(
      /it was trained on clean images \(at __metadata__ "config" model\.noised\); guidance needs a noisy classifier/,
    );
  }, 60000);

  it("sample: a model with one NaN weight is refused naming the file and the key (it sampled all-black images with exit 0)", async () => {
    const broken = join(base, "nan");
    mkdirSync(broken);
    copyFileSync(join(model, "model.safetensors"), join(broken, "model.safetensors"));
    edit(join(broken, "model.safetensors"), (f) => {
      (f.tensors.get("out.2.bias")!.data as Float32Array)[1] = NaN;
    });
    let error: unknown;
    try {
      await sampleMain(["--model", broken, "--n", "2", "--steps", "2", "--out", join(base, "nan-s")]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AdmInputError);
    expect((error as Error).message).toMatch(
      /nan\/model\.safetensors: 1 of its 2 values are not finite \(the first, at flat index 1, is NaN\) \(at tensor "out\.2\.bias"\)/,
    );
    expect(existsSync(join(base, "nan-s.png"))).toBe(false);
  }, 60000);

  it("train: gradient ascent, EMA rates, negative counts, a word after --resume", async () => {
    const train = (...args: string[]) => usageError(trainMain(["--config", "test-tiny", "--out", join(base, "t"), ...args]));
    expect(await train("--grad-clip", "-1")).toBe('--grad-clip must be a finite number >= 0, got "-1"');
    expect(await train("--ema-rate", "5")).toBe('--ema-rate must be a finite number >= 0 and < 1, got "5"');
    expect(await train("--warmup", "-10")).toBe('--warmup must be an integer >= 0, got "-10"');
    expect(await train("--save-every", "-1")).toBe('--save-every must be an integer >= 0, got "-1"');
    expect(await train("--seed", "1.5")).toBe('--seed must be an integer >= 0 and <= 4294967295, got "1.5"');
    expect(await train("--steps", "-5")).toBe('--steps must be an integer >= 1, got "-5"');
    expect(await train("--lr", "-1")).toBe('--lr must be a finite number > 0 and <= 1, got "-1"');
    expect(await train("--save-every", "3", "--ema-snapshot-every", "5")).toBe("--ema-snapshot-every must be 0 or a multiple of --save-every (3), got 5");
    expect(await train("--save-every", "0", "--ema-snapshot-every", "5")).toBe("--ema-snapshot-every must be 0 or a multiple of --save-every (0), got 5");
    expect(await usageError(trainMain(["--out", model, "--resume", "false"]))).toMatch(/^--resume takes no value, so "false" would be a stray argument/);
    expect(existsSync(join(base, "t"))).toBe(false); // refused before anything was made
  });

  it("train --resume keeps the run's settings: a contradicting flag is refused, the same value accepted, a hostile stored one named", async () => {
    expect(await usageError(trainMain(["--out", model, "--resume", "--lr", "0.001"]))).toBe(
      `--lr 0.001 contradicts the run in ${model}, which was started with --lr 0.0002: a resumed run keeps its settings; drop --lr (or start a new run in another --out)`,
    );
    expect(await usageError(trainMain(["--out", model, "--resume", "--save-every", "5"]))).toMatch(
      /^--save-every 5 contradicts the run in .*, which was started with --save-every 3/,
    );
    await trainMain(["--out", model, "--resume", "--save-every", "3", "--seed", "0", "--steps", "1"]);
    const copy = join(base, "hostile");
    mkdirSync(copy);
    for (const f of ["model.safetensors", "state.safetensors"]) copyFileSync(join(model, f), join(copy, f));
    edit(join(copy, "state.safetensors"), (f) => {
      f.metadata.config = JSON.stringify({ ...JSON.parse(f.metadata.config), gradClip: -1 });
    });
    await expect(trainMain(["--out", copy, "--resume", "--steps", "1"])).rejects.toThrow(
      /hostile\/state\.safetensors: gradClip is -1; it must be a finite number >= 0 \(at __metadata__ "config" gradClip\)/,
    );
  }, 60000);

  it("an --out that cannot be made fails at once with exit code 2 (it hung in a recursive mkdir)", () => {
    if (!existsSync("/proc/1")) return;
    for (const args of [
      ["sample", "--model", model],
      [...TRAIN, "--steps", "1"],
    ]) {
      const t0 = Date.now();
      const r = run([...args, "--out", "/proc/1/nope/s"]);
      expect([args[0], r.status]).toEqual([args[0], 2]);
      expect(r.out).toMatch(/error: --out: \/proc\/1\/nope(\/s)?: cannot create the folder \(ENOENT\)/);
      expect(Date.now() - t0).toBeLessThan(20000);
    }
  }, 60000);
});
