/**
 * Classifier-guided DDIM at batch 1 on the released ImageNet architectures at full size (hashed
 * random weights: the same networks, loaded by notebook 09's code path): seconds per guided step
 * (UNet forward + classifier gradient + the DDIM update), load seconds, and the process's peak
 * resident memory, each size in its own child process so that peaks do not mix.
 *
 *   node scripts/run-ts.js bench/imagenet.ts [64x64 128x128 256x256] [--steps 3] [--threads N] [--tfjs] [--json]
 *
 * --tfjs also times one guided step of the 64x64 model on tfjs (the wasm backend), where it fits.
 * Standalone; `bench/index.ts` may call `runImagenetBench`.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend";
import { imagenetConfigs, imagenetDiffusion, loadImagenet, memoryFit } from "../lib/course/imagenet";
import { formatBytes, hashedStateDict, loadStateDict } from "../lib/io/index";
import { admConfiguration, EncoderUNetModel, UNetModel } from "../lib/models/index";
import { classifierCondFn, ddim, sample } from "../lib/sampling/index";

export interface ImagenetBenchRow {
  configuration: string;
  executor: string;
  steps: number;
  /** median seconds per guided DDIM step after the first */
  secondsPerStep: number;
  loadSeconds: number;
  peakRssBytes: number;
  weightBytes: number;
  /** why the run did not finish (tfjs: the wasm heap) */
  failed?: string;
}

/** Sample `steps` guided DDIM steps of a 25-step schedule, timing each step from the callback. */
async function timedSteps(run: (callback: () => void) => Promise<tf.Tensor>, steps: number): Promise<number[]> {
  const stamps: number[] = [Date.now()];
  const out = await run(() => stamps.push(Date.now()));
  out.dispose();
  return stamps
    .slice(1)
    .map((s, i) => (s - stamps[i]) / 1000)
    .slice(0, steps);
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** One configuration on the engine, in this process. */
async function benchEngine(name: string, steps: number, threads?: number): Promise<ImagenetBenchRow> {
  await initBackend();
  const conf = admConfiguration(name);
  const setup = await loadImagenet(conf, { standIns: true, reduce: false, threads });
  const n = setup.imageSize;
  const y = tf.tensor1d([263], "int32");
  // a 25-step schedule, stopped after `steps` steps (the time of a step does not depend on t)
  const abort = new AbortController();
  let taken = 0;
  const times = await timedSteps(async (cb) => {
    try {
      return await sample(ddim, setup.diffusion, setup.model, [1, n, n, 3], {
        steps: 25,
        seed: 0,
        modelKwargs: { y },
        condFn: setup.condFn(),
        signal: abort.signal,
        callback: () => {
          cb();
          if (++taken >= steps) abort.abort(new Error("enough"));
        },
      });
    } catch (e) {
      if ((e as Error).message !== "enough") throw e;
      return tf.zeros([1]);
    }
  }, steps);
  const row: ImagenetBenchRow = {
    configuration: name,
    executor: setup.engine,
    steps: times.length,
    secondsPerStep: median(times.length > 1 ? times.slice(1) : times),
    loadSeconds: setup.loadSeconds,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    weightBytes: memoryFit(conf).weightBytes,
  };
  y.dispose();
  await setup.dispose();
  return row;
}

/** The 64x64 configuration on tfjs: one guided step (tf.grad through the classifier). */
async function benchTfjs(name: string): Promise<ImagenetBenchRow> {
  const backend = await initBackend();
  const conf = admConfiguration(name);
  const { unet, classifier } = imagenetConfigs(conf);
  const start = Date.now();
  const model = new UNetModel(unet);
  loadStateDict(model, hashedStateDict(model.specs, 0));
  const cls = new EncoderUNetModel(classifier);
  loadStateDict(cls, hashedStateDict(cls.specs, 0));
  const loadSeconds = (Date.now() - start) / 1000;
  const setupDiffusion = imagenetDiffusion(conf);
  const y = tf.tensor1d([263], "int32");
  const n = unet.imageSize;
  const abort = new AbortController();
  const times = await timedSteps(async (cb) => {
    try {
      return await sample(ddim, setupDiffusion, model, [1, n, n, 3], {
        steps: 25,
        seed: 0,
        modelKwargs: { y },
        condFn: classifierCondFn(cls, conf.classifierScale),
        signal: abort.signal,
        callback: () => {
          cb();
          abort.abort(new Error("enough"));
        },
      });
    } catch (e) {
      if ((e as Error).message !== "enough") throw e;
      return tf.zeros([1]);
    }
  }, 1);
  y.dispose();
  model.dispose();
  cls.dispose();
  return {
    configuration: name,
    executor: `tfjs (${backend.name})`,
    steps: 1,
    secondsPerStep: times[0],
    loadSeconds,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    weightBytes: memoryFit(conf).weightBytes,
  };
}

/** Each configuration (and tfjs at 64x64 when asked) in a fresh child process; returns the rows. */
export function runImagenetBench(names: string[], opts: { steps?: number; threads?: number; tfjs?: boolean } = {}): ImagenetBenchRow[] {
  const rows: ImagenetBenchRow[] = [];
  const jobs = names.map((n) => ["--one", n]);
  if (opts.tfjs) jobs.push(["--one-tfjs", "64x64"]);
  for (const job of jobs) {
    const args = [
      require.resolve("../scripts/run-ts.js"),
      __filename,
      ...job,
      "--steps",
      String(opts.steps ?? 3),
      ...(opts.threads ? ["--threads", String(opts.threads)] : []),
    ];
    const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 24 });
    const line = r.stdout.split("\n").find((l) => l.startsWith("ROW "));
    if (line && r.status === 0) rows.push(JSON.parse(line.slice(4)));
    else if (job[0] === "--one-tfjs") {
      // tfjs holds the weights in the wasm heap (4 GiB at most): a model that does not fit aborts the process
      const why = /Aborted|out of memory|RangeError/.exec(r.stderr)?.[0] ?? `exit ${r.status}`;
      rows.push({
        configuration: job[1],
        executor: "tfjs (wasm)",
        steps: 0,
        secondsPerStep: NaN,
        loadSeconds: NaN,
        peakRssBytes: NaN,
        weightBytes: NaN,
        failed: `did not fit (${why})`,
      });
    } else throw new Error(`bench/imagenet ${job.join(" ")} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  }
  return rows;
}

function table(rows: ImagenetBenchRow[]): string {
  const head = "| configuration | executor | s / guided DDIM step (batch 1) | load s | peak RSS | float32 weights |\n|---|---|---|---|---|---|";
  return [
    head,
    ...rows.map((r) =>
      r.failed
        ? `| ${r.configuration} | ${r.executor} | ${r.failed} | | | |`
        : `| ${r.configuration} | ${r.executor} | ${r.secondsPerStep.toFixed(2)} (median of ${Math.max(1, r.steps - 1)}) | ${r.loadSeconds.toFixed(1)} | ${formatBytes(r.peakRssBytes)} | ${formatBytes(r.weightBytes)} |`,
    ),
  ].join("\n");
}

async function main(argv: string[]): Promise<void> {
  const value = (flag: string): number | undefined => (argv.includes(flag) ? Number(argv[argv.indexOf(flag) + 1]) : undefined);
  const steps = value("--steps") ?? 3;
  const threads = value("--threads");
  if (argv[0] === "--one") return void console.log(`ROW ${JSON.stringify(await benchEngine(argv[1], steps, threads))}`);
  if (argv[0] === "--one-tfjs") return void console.log(`ROW ${JSON.stringify(await benchTfjs(argv[1]))}`);
  const names = argv.filter((a, i) => /^\d+x\d+/.test(a) && !["--steps", "--threads"].includes(argv[i - 1]));
  const rows = runImagenetBench(names.length ? names : ["64x64", "128x128", "256x256"], { steps, threads, tfjs: argv.includes("--tfjs") });
  console.log(argv.includes("--json") ? JSON.stringify(rows, null, 2) : table(rows));
}

// run as a script (node scripts/run-ts.js bench/imagenet.ts), not when bench/index.ts imports it
if (path.resolve(process.argv[1] ?? "") === __filename) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
