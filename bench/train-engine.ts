/**
 * Training-step benchmark of the course model (fashion-cond, 985k parameters, batch 32, hybrid loss
 * with learned sigma, AdamW, gradient clipping, EMA): lib/train's train() on tfjs (wasm, one thread)
 * and on the engine (the training graph on ONNX Runtime) with 1 and 2 threads, beside guided-
 * diffusion's own TrainLoop.run_step on PyTorch with the same threads (bench/train_step_torch.py;
 * skipped with a message when torch or a checkout is missing). The machine is shared, so the engine
 * and PyTorch rows alternate for a few rounds (load swings reach both alike); per row the median and
 * the fastest of all its timed steps, and the load average before and after.
 *
 *   node scripts/run-ts.js bench/train-engine.ts [--steps 3] [--rounds 3] [--batch 32] [--threads 1,2]
 *        [--guided-diffusion DIR] (or ADM_GUIDED_DIFFUSION) [--no-tfjs] [--out FILE.json]
 */
import { spawnSync } from "child_process";
import { existsSync, mkdirSync, writeFileSync } from "fs";
import * as os from "os";
import { dirname, join, resolve } from "path";
import { initBackend } from "../lib/backend";
import { COURSE_CONFIGS } from "../lib/course/model-configs";
import { createGaussianDiffusion } from "../lib/diffusion/gaussian-diffusion";
import { UniformSampler } from "../lib/diffusion/resample";
import { UNetModel } from "../lib/models/unet";
import { fashionMnistDataset } from "../lib/train/dataset";
import { diffusionTask } from "../lib/train/diffusion-task";
import { initTrainState, train } from "../lib/train/loop";
import { seedInitialWeights } from "../lib/train/init";
import { parseFlags, runCli, UsageError, type FlagSpec } from "../scripts/cli-args";

const FLAGS: Record<string, FlagSpec> = {
  steps: { type: "number", default: 3, help: "timed steps per row and round, after one warm-up step" },
  rounds: { type: "number", default: 3, help: "rounds of the engine and PyTorch rows, alternating" },
  batch: { type: "number", default: 32, help: "batch size" },
  threads: { type: "string", default: "1,2", help: "thread counts of the engine and PyTorch rows" },
  "guided-diffusion": { type: "string", help: "a guided-diffusion checkout for the PyTorch rows (default ADM_GUIDED_DIFFUSION)" },
  "no-tfjs": { type: "boolean", default: false, help: "skip the tfjs row (about 5 s a step)" },
  out: { type: "string", help: "also write the rows as JSON here" },
};

export interface TrainBenchRow {
  executor: "tfjs" | "onnx" | "pytorch";
  threads: number;
  /** milliseconds per step: median and fastest of the timed steps; null when the row was skipped */
  medianMs: number | null;
  minMs: number | null;
  loadBefore: number;
  loadAfter: number;
  note?: string;
}

export interface TrainBenchOptions {
  steps?: number;
  rounds?: number;
  batch?: number;
  threads?: number[];
  guidedDiffusion?: string;
  tfjs?: boolean;
}

const load = () => os.loadavg()[0];

function summary(ms: number[]): { medianMs: number; minMs: number } {
  const sorted = ms.slice().sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)], minMs: sorted[0] };
}

/** One row's timed steps, before they are summarised. */
interface Timing {
  ms: number[];
  loadBefore: number;
  loadAfter: number;
  note?: string;
}

/** ms per step of train() on one executor: one warm-up step, then `steps` timed ones. */
async function ourRow(engine: "tfjs" | "onnx", threads: number, steps: number, batch: number): Promise<Timing> {
  const cfg = COURSE_CONFIGS["fashion-cond"];
  if (cfg.kind !== "diffusion") throw new Error("fashion-cond is a diffusion model");
  const loadBefore = load();
  const model = new UNetModel(cfg.unet);
  seedInitialWeights(model, 0);
  const diffusion = createGaussianDiffusion(cfg.diffusion);
  const data = fashionMnistDataset("train", 32, { subset: true });
  const task = diffusionTask({
    diffusion,
    model,
    data,
    batchSize: batch,
    seed: 0,
    sampler: new UniformSampler(diffusion),
    classCond: true,
    classDropout: cfg.classDropout,
  });
  const state = initTrainState(model, [0.999]);
  const ms: number[] = [];
  await train(model, task, state, {
    steps: 1 + steps,
    lr: { lr: 2e-4 },
    gradClip: 1,
    emaRates: [0.999],
    seed: 0,
    progress: false,
    engine,
    threads,
    onStep: (s) => {
      if (s.step > 0) ms.push(s.seconds * 1000);
    },
  });
  model.dispose();
  return { ms, loadBefore, loadAfter: load() };
}

/** guided-diffusion's TrainLoop.run_step on PyTorch, in a process of its own. */
function torchRow(dir: string | undefined, threads: number, steps: number, batch: number): Timing {
  const loadBefore = load();
  const skip = (note: string): Timing => ({ ms: [], loadBefore, loadAfter: load(), note });
  if (!dir) return skip("no guided-diffusion checkout: pass --guided-diffusion DIR or set ADM_GUIDED_DIFFUSION");
  if (!existsSync(join(dir, "guided_diffusion", "train_util.py"))) return skip(`${dir} is not a guided-diffusion checkout (no guided_diffusion/train_util.py)`);
  const r = spawnSync("/usr/bin/python3", [join(__dirname, "train_step_torch.py"), dir, String(threads), String(batch), String(steps)], {
    encoding: "utf8",
    timeout: 900000,
  });
  const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) return skip(`PyTorch did not run: ${(r.stderr || r.error?.message || "no output").trim().split("\n").pop()}`);
  return { ms: JSON.parse(line).ms as number[], loadBefore, loadAfter: load() };
}

/** Rows of the same executor and threads over several rounds, as one: all steps, the first load before, the last after. */
function merged(executor: TrainBenchRow["executor"], threads: number, timings: Timing[]): TrainBenchRow {
  const ms = timings.flatMap((t) => t.ms);
  const note = timings.find((t) => t.note)?.note;
  const times = ms.length ? summary(ms) : { medianMs: null, minMs: null };
  return { executor, threads, ...times, loadBefore: timings[0].loadBefore, loadAfter: timings[timings.length - 1].loadAfter, ...(note ? { note } : {}) };
}

/** The rows: tfjs once, then per round and thread count the engine and PyTorch, alternating. */
export async function benchTrainEngine(o: TrainBenchOptions = {}): Promise<TrainBenchRow[]> {
  const steps = o.steps ?? 3,
    batch = o.batch ?? 32,
    rounds = o.rounds ?? 3,
    threadCounts = o.threads ?? [1, 2];
  await initBackend("wasm");
  const rows: TrainBenchRow[] = [];
  if (o.tfjs ?? true) rows.push(merged("tfjs", 1, [await ourRow("tfjs", 1, steps, batch)]));
  const engine = new Map<number, Timing[]>(threadCounts.map((t) => [t, []]));
  const torch = new Map<number, Timing[]>(threadCounts.map((t) => [t, []]));
  for (let r = 0; r < rounds; r++) {
    for (const threads of threadCounts) {
      engine.get(threads)!.push(await ourRow("onnx", threads, steps, batch));
      torch.get(threads)!.push(torchRow(o.guidedDiffusion ?? process.env.ADM_GUIDED_DIFFUSION, threads, steps, batch));
    }
  }
  for (const threads of threadCounts) rows.push(merged("onnx", threads, engine.get(threads)!), merged("pytorch", threads, torch.get(threads)!));
  return rows;
}

/** One table: ms per step, and the engine's ratio to PyTorch with the same threads (median; fastest step). */
export function formatTrainBench(rows: TrainBenchRow[], batch: number): string {
  const ms = (v: number | null) => (v === null ? "-" : v.toFixed(0));
  const lines = [
    `course model (fashion-cond) training step, batch ${batch}: ms per step (median / fastest), load average (1 min) before -> after`,
    "| executor | threads | median ms | fastest ms | vs PyTorch (median / fastest) | load |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const torch = rows.find((t) => t.executor === "pytorch" && t.threads === r.threads && t.medianMs !== null);
    const ratio =
      r.executor !== "pytorch" && torch && r.medianMs !== null
        ? `${(r.medianMs / torch.medianMs!).toFixed(2)}x / ${(r.minMs! / torch.minMs!).toFixed(2)}x`
        : "";
    const name = r.executor === "onnx" ? "engine (ONNX Runtime)" : r.executor === "tfjs" ? "tfjs (wasm)" : "PyTorch (guided-diffusion)";
    lines.push(
      `| ${name} | ${r.threads} | ${ms(r.medianMs)} | ${ms(r.minMs)} | ${ratio} | ${r.loadBefore.toFixed(1)} -> ${r.loadAfter.toFixed(1)} |${r.note ? ` ${r.note}` : ""}`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), FLAGS, "usage: node scripts/run-ts.js bench/train-engine.ts [flags]");
  if (!f) return;
  const threads = (f.threads as string).split(",").map(Number);
  if (threads.some((t) => !Number.isInteger(t) || t < 1)) throw new UsageError(`--threads takes comma-separated positive integers, got ${f.threads}`);
  const batch = f.batch as number;
  const opts: TrainBenchOptions = {
    steps: f.steps as number,
    rounds: f.rounds as number,
    batch,
    threads,
    guidedDiffusion: f["guided-diffusion"] as string | undefined,
    tfjs: !f["no-tfjs"],
  };
  console.log(
    `${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} logical CPUs; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  const rows = await benchTrainEngine(opts);
  console.log(formatTrainBench(rows, batch));
  if (f.out) {
    const file = resolve(f.out as string);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify(
        { date: new Date().toISOString(), cpu: os.cpus()[0]?.model, cpus: os.cpus().length, node: process.version, options: opts, rows },
        null,
        2,
      ) + "\n",
    );
  }
}

// run as a script (directly, or through scripts/run-ts.js), not when bench/index.ts imports it
if (require.main === module || /train-engine\.ts$/.test(process.argv[1] ?? "")) runCli(main);
