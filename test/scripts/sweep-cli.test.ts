/**
 * adm-ts sweep on test-tiny stand-ins: one ADM-format .npz per point, the same images `adm-ts sample`
 * draws with the same settings, sweep.json with each point's parameters and step, reruns that skip
 * what is written, and usage errors that name the flag.
 */
import * as tf from "@tensorflow/tfjs";
import { spawn, spawnSync } from "child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { initBackend } from "../../lib/backend";
import { readSampleSet, readSweep } from "../../lib/course/sample-sets";
import { fashionSetMetrics } from "../../lib/course/set-metrics";
import { EncoderUNetModel } from "../../lib/models/encoder-unet";
import type { EncoderUNetConfig } from "../../lib/models/config";
import { saveCheckpoint } from "../../lib/train/checkpoint";
import { initTrainState } from "../../lib/train/loop";
import { UsageError } from "../../scripts/cli-args";
import { main as sampleMain } from "../../scripts/sample";
import { main as sweepMain } from "../../scripts/sweep";

const ADM = resolve(__dirname, "../../scripts/adm.js");
const base = mkdtempSync(join(tmpdir(), "sweep-"));
const model = join(base, "model"),
  classifier = join(base, "classifier");
const quick = ["--n", "4", "--steps", "2", "--batch", "2"];
const logs: string[] = [];
const quiet = [
  jest.spyOn(console, "log").mockImplementation((...a) => void logs.push(a.join(" "))),
  jest.spyOn(console, "error").mockImplementation(() => undefined),
  jest.spyOn(process.stderr, "write").mockImplementation(() => true),
];

beforeAll(async () => {
  await initBackend("wasm");
  const train = ["train", "--config", "test-tiny", "--batch", "2", "--data", "subset", "--warmup", "0", "--save-every", "3", "--ema-snapshot-every", "3"];
  const r = spawnSync("node", [ADM, ...train, "--steps", "6", "--out", model], { encoding: "utf8", timeout: 120000 });
  expect([r.status, r.stderr.slice(-500)]).toEqual([0, expect.any(String)]);
  const encoder: EncoderUNetConfig = {
    imageSize: 32,
    inChannels: 1,
    modelChannels: 32,
    outChannels: 10,
    numResBlocks: 1,
    attentionResolutions: [],
    channelMult: [1],
    pool: "adaptive",
  };
  const net = new EncoderUNetModel(encoder);
  // guided-diffusion zero-initialises the head, which makes an untrained classifier's gradient 0: give it weights that guide
  let seed = 1;
  for (const v of net.params.values()) v.assign(tf.randomNormal(v.shape, 0, 0.2, "float32", seed++));
  saveCheckpoint(classifier, net, initTrainState(net, []), {
    name: "tiny-classifier",
    model: { kind: "classifier", noised: true, encoder, diffusion: { steps: 100, noiseSchedule: "cosine", learnSigma: true } },
  });
  net.dispose();
}, 180000);
afterAll(() => quiet.forEach((q) => q.mockRestore()));

/** arr_0 of an .npz as a plain array. */
const pixels = (path: string): number[] => Array.from(readSampleSet(path).images.data);

async function usageError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("adm-ts sweep", () => {
  it("classifier guidance: one .npz per scale, s = 0 is adm-ts sample unguided, and a rerun draws only new points", async () => {
    const out = join(base, "guidance");
    await sweepMain(["--model", model, "--classifier", classifier, "--scales", "0,2", ...quick, "--out", out]);
    const sweep = readSweep(out)!;
    expect(sweep.settings).toMatchObject({ model, modelStep: 6, classifier, classifierStep: 0, over: "scale", sampler: "ddim", steps: 2, n: 4, seed: 0 });
    expect(sweep.points.map((p) => [p.file, p.scale, p.guidance, p.modelStep, p.n])).toEqual([
      ["scale-0.npz", 0, "none", 6, 4],
      ["scale-2.npz", 2, "classifier s = 2", 6, 4],
    ]);
    expect(sweep.points[0].code).toMatch(/^([0-9a-f]{40}(\+dirty)?|unknown)$/);
    const set = readSampleSet(join(out, "scale-0.npz"));
    expect(set.images.shape).toEqual([4, 32, 32, 1]);
    expect(Array.from(set.labels)).toEqual([0, 1, 2, 3]);
    // the unguided point is what adm-ts sample draws with the same seed, batch and labels
    await sampleMain(["--model", model, ...quick, "--out", join(base, "plain")]);
    expect(pixels(join(out, "scale-0.npz"))).toEqual(pixels(join(base, "plain.npz")));
    expect(pixels(join(out, "scale-2.npz"))).not.toEqual(pixels(join(out, "scale-0.npz")));

    const written = statSync(join(out, "scale-0.npz")).mtimeMs;
    logs.length = 0;
    await sweepMain(["--model", model, "--classifier", classifier, "--scales", "0,2,1", ...quick, "--out", out]);
    expect(logs.join("\n")).toContain("2 of 3 points already written with these settings; drawing 1");
    expect(statSync(join(out, "scale-0.npz")).mtimeMs).toBe(written);
    expect(readSweep(out)!.points.map((p) => p.file)).toEqual(["scale-0.npz", "scale-2.npz", "scale-1.npz"]);
    // a command with fewer points of the same settings keeps the others
    logs.length = 0;
    await sweepMain(["--model", model, "--classifier", classifier, "--scales", "1", ...quick, "--out", out]);
    expect(logs.join("\n")).toContain("1 of 1 points already written with these settings; drawing 0");
    expect(readSweep(out)!.points.map((p) => p.file)).toEqual(["scale-1.npz", "scale-0.npz", "scale-2.npz"]);
    expect(
      await usageError(sweepMain(["--model", model, "--classifier", classifier, "--scales", "0", "--n", "6", "--steps", "2", "--batch", "2", "--out", out])),
    ).toMatch(/^--out .* holds a sweep made with other settings \(n: 4 vs 6\); pass another --out/);
  }, 120000);

  it("--metrics records each point's FID, precision and recall against the test set, computed as fashionSetMetrics does", async () => {
    const out = join(base, "guidance");
    logs.length = 0;
    await sweepMain(["--model", model, "--classifier", classifier, "--scales", "0,2,1", ...quick, "--out", out, "--metrics"]);
    expect(logs.join("\n")).toContain("3 of 3 points already written with these settings; drawing 0");
    const points = readSweep(out)!.points;
    const direct = await fashionSetMetrics(readSampleSet(join(out, "scale-2.npz")).images, { threads: 1 });
    expect(points[1].metrics).toEqual({
      fid: direct.fid,
      precision: direct.precision,
      recall: direct.recall,
      referenceN: direct.referenceN,
      features: "models/fashion-features step 3800",
    });
    expect(logs.join("\n")).toMatch(/\| scale-2.npz \| classifier s = 2 \| 6 \| 4 \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
  }, 180000);

  it("classifier-free guidance: w = 1 is the conditional model, w = 2 is adm-ts sample --cfg-scale 2", async () => {
    const out = join(base, "cfg");
    await sweepMain(["--model", model, "--cfg-scales", "1,2", ...quick, "--out", out]);
    expect(readSweep(out)!.points.map((p) => [p.file, p.cfgScale, p.guidance])).toEqual([
      ["cfg-1.npz", 1, "none"],
      ["cfg-2.npz", 2, "classifier-free w = 2"],
    ]);
    await sampleMain(["--model", model, ...quick, "--cfg-scale", "2", "--out", join(base, "cfg2")]);
    expect(pixels(join(out, "cfg-2.npz"))).toEqual(pixels(join(base, "cfg2.npz")));
    await sampleMain(["--model", model, ...quick, "--out", join(base, "cond")]);
    expect(pixels(join(out, "cfg-1.npz"))).toEqual(pixels(join(base, "cond.npz")));
  }, 120000);

  it("--snapshots: one point per EMA snapshot, each with its training step", async () => {
    const out = join(base, "snapshots");
    await sweepMain(["--model", model, "--snapshots", ...quick, "--out", out]);
    const sweep = readSweep(out)!;
    expect(sweep.settings.over).toBe("snapshot");
    expect(sweep.points.map((p) => [p.file, p.snapshot, p.modelStep])).toEqual([
      ["step-000003.npz", join("ema-snapshots", "step-000003.safetensors"), 3],
      ["step-000006.npz", join("ema-snapshots", "step-000006.safetensors"), 6],
    ]);
    // different weights, different images from the same noise
    expect(pixels(join(out, "step-000003.npz"))).not.toEqual(pixels(join(out, "step-000006.npz")));
    expect(JSON.parse(readFileSync(join(out, "sweep.json"), "utf8")).command).toContain("--snapshots");
    const some = join(base, "some-snapshots");
    await sweepMain(["--model", model, "--snapshots", "--snapshot-steps", "6", ...quick, "--out", some]);
    expect(readSweep(some)!.points.map((p) => p.modelStep)).toEqual([6]);
    expect(pixels(join(some, "step-000006.npz"))).toEqual(pixels(join(out, "step-000006.npz")));
    expect(await usageError(sweepMain(["--model", model, "--snapshots", "--snapshot-steps", "4,6", ...quick, "--out", some]))).toMatch(
      /^--snapshot-steps: no snapshot of step 4 in .*ema-snapshots; it has steps 3, 6$/,
    );
    expect(await usageError(sweepMain(["--model", model, "--snapshot-steps", "6", ...quick, "--out", some]))).toBe(
      "--snapshot-steps picks EMA snapshots: it needs --snapshots",
    );
  }, 120000);

  it("Ctrl-C stops between points' files: what is written stays, no temporary file is left, and the same command resumes", async () => {
    const out = join(base, "interrupted");
    const args = [ADM, "sweep", "--model", model, "--cfg-scales", "1,2,3", "--n", "4", "--steps", "50", "--batch", "4", "--out", out];
    const child = spawn("node", args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ADM_ONNX_THREADS: "1" } });
    let stdout = "",
      stderr = "",
      running = true;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on("exit", (c) => ((running = false), r(c))));
    const deadline = Date.now() + 90000;
    while (running && (readSweep(out)?.points.length ?? 0) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect([running, stderr.slice(-300)]).toEqual([true, expect.any(String)]);
    child.kill("SIGINT");
    const code = await exited;
    const done = readSweep(out)!.points.length;
    expect([code, done]).toEqual([130, expect.any(Number)]);
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(3);
    expect(stdout).toContain(`stopped: ${done} of 3 points are in ${out}; run the same command again to draw the rest`);
    expect(readdirSync(out).filter((f) => f.includes(".tmp-"))).toEqual([]);
    const again = spawnSync("node", args, { encoding: "utf8", env: { ...process.env, ADM_ONNX_THREADS: "1" } });
    expect(again.stdout).toContain(`${done} of 3 points already written with these settings; drawing ${3 - done}`);
    expect(readSweep(out)!.points.map((p) => p.file)).toEqual(["cfg-1.npz", "cfg-2.npz", "cfg-3.npz"]);
  }, 180000);

  it("refuses bad flags up front, naming them (exit code 2)", async () => {
    const out = ["--out", join(base, "bad")];
    const sweep = (...args: string[]) => usageError(sweepMain(["--model", model, ...quick, ...out, ...args]));
    expect(await sweep("--scales", "0,1")).toMatch(/^--scales are classifier guidance scales: they need --classifier DIR/);
    expect(await sweep("--classifier", classifier)).toMatch(/^--classifier needs --scales/);
    expect(await sweep("--classifier", classifier, "--scales", "0,x")).toBe('--scales takes comma-separated non-negative numbers such as 0,1,2,4; got "0,x"');
    expect(await sweep("--classifier", classifier, "--scales", "1,1")).toMatch(/^--scales names a value twice/);
    expect(await sweep("--cfg-scales", "1", "--snapshots")).toBe("--cfg-scales and --snapshots sweep different things; give one of them per sweep");
    expect(await sweep("--sampler", "ddpm", "--eta", "1")).toMatch(/^--eta applies to ddim only/);
    expect(await usageError(sweepMain(["--model", model, "--steps", "500", ...out]))).toMatch(
      /^--steps: ddim needs steps >= 1 and at most the diffusion's 100 timesteps/,
    );
    expect(await usageError(sweepMain(["--model", model]))).toMatch(/^--out DIR is required/);
    expect(await usageError(sweepMain(["--model", classifier, "--snapshots", ...out]))).toMatch(
      /^--snapshots: .*ema-snapshots holds no step-NNNNNN.safetensors/,
    );
    const r = spawnSync("node", [ADM, "sweep", "--model", model, "--n", "0", ...out], { encoding: "utf8" });
    expect([r.status, r.stderr.trim()]).toEqual([2, 'error: --n must be an integer >= 1 and <= 50000, got "0"']);
  }, 60000);
});
