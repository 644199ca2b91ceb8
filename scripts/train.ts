/**
 * Train a course model (diffusion model or classifier) on Fashion-MNIST, with checkpoints and resume.
 *   adm-ts train --config fashion-cond --out models/fashion-cond --steps 4000
 *   adm-ts train --out models/fashion-cond --resume --steps 8000      (continue a run)
 *   adm-ts train-classifier --config fashion-classifier --out models/fashion-classifier
 */
import { join } from "path";
import { initBackend } from "../lib/backend";
import { UNetModel } from "../lib/models/unet";
import { EncoderUNetModel } from "../lib/models/encoder-unet";
import { createGaussianDiffusion } from "../lib/diffusion/gaussian-diffusion";
import { createNamedScheduleSampler } from "../lib/diffusion/resample";
import { fashionMnistDataset } from "../lib/train/dataset";
import { diffusionTask } from "../lib/train/diffusion-task";
import { classifierTask } from "../lib/train/classifier-task";
import { initTrainState, train } from "../lib/train/loop";
import {
  MODEL_FILE,
  STATE_FILE,
  hasCheckpoint,
  loadCheckpoint,
  readCheckpointConfig,
  restoreModelFile,
  saveCheckpoint,
  saveEmaSnapshot,
} from "../lib/train/checkpoint";
import { seedInitialWeights } from "../lib/train/init";
import { warmStart, type WarmStartInfo } from "../lib/course/warm-start";
import { COURSE_CONFIGS, type CourseModelConfig } from "../lib/course/model-configs";
import { defaultThreads } from "../lib/engine/session";
import { AdmInputError, describe, refuse } from "../lib/io/errors";
import { prepareOutput, writeFileAtomic } from "../lib/io/write-files";
import { flagProblem, forFlag, parseFlags, UsageError, type FlagSpec } from "./cli-args";

const FLAGS: Record<string, FlagSpec> = {
  config: { type: "string", help: `model configuration: ${Object.keys(COURSE_CONFIGS).join(", ")}` },
  out: { type: "string", help: "checkpoint directory (state.safetensors, model.safetensors, run.json); checked writable before anything else" },
  resume: { type: "boolean", default: false, help: "continue the run in --out from its last checkpoint, with the settings it was started with" },
  steps: { type: "integer", default: 4000, min: 1, help: "train until this many optimizer steps in total" },
  batch: { type: "integer", default: 32, min: 1, max: 4096, help: "batch size" },
  lr: { type: "number", default: 2e-4, above: 0, max: 1, help: "learning rate (AdamW)" },
  warmup: { type: "integer", default: 100, min: 0, help: "linear learning-rate warm-up steps" },
  "lr-anneal-steps": {
    type: "integer",
    min: 1,
    help: "decay the learning rate linearly to 0 at this step (ADM's lr_anneal_steps); on --resume the decay starts at the resumed step, and after a finished anneal it restarts from the full rate (a warm restart)",
  },
  "weight-decay": { type: "number", default: 0, min: 0, help: "AdamW decoupled weight decay" },
  "grad-clip": { type: "number", default: 1, min: 0, help: "clip the global gradient norm to this (0: off)" },
  "ema-rate": { type: "number", default: 0.999, min: 0, below: 1, help: "EMA rate of the weights sampled from (ADM: 0.9999 for long runs)" },
  "schedule-sampler": { type: "string", default: "uniform", choices: ["uniform", "loss-second-moment"], help: "timestep sampler" },
  seed: { type: "integer", default: 0, min: 0, max: 2 ** 32 - 1, help: "seed for data order, timesteps and noise" },
  "save-every": { type: "integer", default: 100, min: 0, help: "checkpoint every N steps, and always at the end (0: only at the end)" },
  data: { type: "string", default: "auto", help: "training images: auto (full set if installed), subset, or a directory of IDX files" },
  "init-from": {
    type: "string",
    help: "start from the EMA weights of a trained model directory (same network, or a class-conditional model with label dropout for an unconditional run)",
  },
  "max-minutes": { type: "number", default: 0, min: 0, help: "stop (after a checkpoint) once this many minutes have passed (0: no limit)" },
  "ema-snapshot-every": {
    type: "integer",
    default: 0,
    min: 0,
    help: "also keep the EMA weights every N steps in DIR/ema-snapshots (float16, for FID-against-step curves; a multiple of --save-every; 0: none)",
  },
  engine: {
    type: "string",
    default: "onnx",
    choices: ["onnx", "tfjs"],
    help: "who computes each step: onnx (the engine's training graph on ONNX Runtime) or tfjs; both give the same numbers, and a run may resume on either",
  },
  threads: { type: "integer", min: 1, max: 256, help: "the engine's threads (default ADM_ONNX_THREADS, else the physical cores)" },
};

interface RunConfig {
  name: string;
  model: CourseModelConfig;
  batch: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  gradClip: number;
  emaRate: number;
  scheduleSampler: "uniform" | "loss-second-moment";
  seed: number;
  data: string;
  /** checkpoint interval (recorded so that --resume keeps it; absent in runs started before it was) */
  saveEvery?: number;
  /** the data set actually used (recorded at the start, checked on --resume) */
  dataName?: string;
  /** linear learning-rate decay to 0 at `steps`, starting at step `from` (0, or where a resumed run was annealed) */
  lrAnneal?: { steps: number; from: number };
  /** earlier anneals that ran to 0 before a warm restart, oldest first (for the model card) */
  lrAnnealsDone?: { steps: number; from: number }[];
  /** the trained model this run started from, if not from random weights */
  initFrom?: WarmStartInfo;
  /** which executor ran the steps from `from` on, oldest first (a run may continue on the other) */
  executors?: { from: number; executor: string }[];
}

/** The flags that make up a run's settings, and where the run configuration keeps each. */
const SETTINGS = {
  config: "name",
  batch: "batch",
  lr: "lr",
  warmup: "warmup",
  "weight-decay": "weightDecay",
  "grad-clip": "gradClip",
  "ema-rate": "emaRate",
  "schedule-sampler": "scheduleSampler",
  seed: "seed",
  data: "data",
  "save-every": "saveEvery",
} as const satisfies Record<string, keyof RunConfig>;

function runConfigFrom(f: Record<string, unknown>, name: string): RunConfig {
  const model = COURSE_CONFIGS[name];
  if (!model) throw new UsageError(`--config ${name} is not a course configuration; use one of ${Object.keys(COURSE_CONFIGS).join(", ")}`);
  return {
    name,
    model,
    batch: f.batch as number,
    lr: f.lr as number,
    warmup: f.warmup as number,
    weightDecay: f["weight-decay"] as number,
    gradClip: f["grad-clip"] as number,
    emaRate: f["ema-rate"] as number,
    scheduleSampler: f["schedule-sampler"] as RunConfig["scheduleSampler"],
    seed: f.seed as number,
    data: f.data as string,
    saveEvery: f["save-every"] as number,
  };
}

/**
 * The stored run of `out`, checked as its flags would be (a checkpoint's metadata is a file like any
 * other), with the flags given now compared against it: a resumed run keeps its settings, so a flag
 * that contradicts one is refused rather than silently ignored.
 */
function resumedRun(out: string, f: Record<string, unknown>, given: ReadonlySet<string>): RunConfig {
  const path = join(out, STATE_FILE);
  const run = readCheckpointConfig(out) as RunConfig;
  const fix = "resume only a folder written by adm-ts train, or start a new run in another --out";
  if (run === null || typeof run !== "object" || typeof run.name !== "string" || run.model === null || typeof run.model !== "object") {
    refuse(path, '__metadata__ "config"', `the run configuration is ${describe(run)}`, fix);
  }
  for (const [flag, key] of Object.entries(SETTINGS)) {
    const spec = FLAGS[flag];
    if (key === "saveEvery" && run.saveEvery === undefined) {
      run.saveEvery = f[flag] as number; // a run from before the interval was recorded: the flag (or its default) from now on
      continue;
    }
    const stored = run[key];
    const problem = key === "name" ? (typeof stored === "string" ? undefined : "must be text") : flagProblem(spec, stored);
    if (problem) refuse(path, `__metadata__ "config" ${key}`, `${key} is ${describe(stored ?? null)}; it ${problem}`, fix);
    if (given.has(flag) && f[flag] !== stored) {
      throw new UsageError(
        `--${flag} ${String(f[flag])} contradicts the run in ${out}, which was started with --${flag} ${String(stored)}: ` +
          `a resumed run keeps its settings; drop --${flag} (or start a new run in another --out)`,
      );
    }
  }
  return run;
}

export async function main(argv: string[], defaults: { config?: string } = {}): Promise<void> {
  const f = parseFlags(argv, FLAGS, "usage: adm-ts train --config NAME --out DIR [flags]   |   adm-ts train --out DIR --resume [--steps N]");
  if (!f) return;
  const out = f.out as string | undefined;
  if (!out) throw new UsageError("--out DIR is required (where checkpoints go)");
  let run: RunConfig;
  if (f.resume && f["init-from"] !== undefined)
    throw new UsageError("--init-from starts a new run; a resumed run already has its weights (drop one of --resume and --init-from)");
  if (f.resume) {
    if (!hasCheckpoint(out)) throw new UsageError(`--resume: ${out} has no state.safetensors to resume from; drop --resume to start a new run`);
    run = resumedRun(out, f, f._given);
  } else {
    if (hasCheckpoint(out))
      throw new UsageError(`${out} already holds a checkpoint; pass --resume to continue it, or choose another --out (nothing was overwritten)`);
    const name = (f.config as string | undefined) ?? defaults.config;
    if (!name) throw new UsageError("--config NAME is required for a new run");
    run = runConfigFrom(f, name);
  }
  const snapshotEvery = f["ema-snapshot-every"] as number;
  if (snapshotEvery > 0 && (!run.saveEvery || snapshotEvery % run.saveEvery !== 0)) {
    throw new UsageError(`--ema-snapshot-every must be 0 or a multiple of --save-every (${run.saveEvery}), got ${snapshotEvery}`);
  }
  forFlag("--out", () => prepareOutput([join(out, STATE_FILE), join(out, MODEL_FILE), join(out, "run.json")]));
  const backend = await initBackend();
  const data = fashionMnistDataset("train", 32, run.data === "subset" ? { subset: true } : run.data === "auto" ? {} : { dir: run.data });
  if (run.dataName && run.dataName !== data.name) {
    throw new UsageError(
      `${out} was trained on ${run.dataName} but this machine gives ${data.name} (${data.n} images): ` +
        "install the full set ('apt-get install dataset-fashion-mnist' or 'npm run fetch-data') so the run continues on the same data",
    );
  }
  run.dataName = data.name;
  const m = run.model;
  const { model, task } = fromStoredRun(f.resume === true, out, () => {
    const diffusion = createGaussianDiffusion(m.diffusion);
    const model = m.kind === "diffusion" ? new UNetModel(m.unet) : new EncoderUNetModel(m.encoder);
    const task =
      m.kind === "diffusion"
        ? diffusionTask({
            diffusion,
            model: model as UNetModel,
            data,
            batchSize: run.batch,
            seed: run.seed,
            sampler: createNamedScheduleSampler(run.scheduleSampler, diffusion),
            classCond: m.unet.numClasses != null,
            classDropout: m.classDropout,
          })
        : classifierTask({ classifier: model as EncoderUNetModel, data, batchSize: run.batch, seed: run.seed, diffusion: m.noised ? diffusion : undefined });
    return { model, task };
  });
  seedInitialWeights(model, run.seed);
  if (f["init-from"] !== undefined) {
    run.initFrom = warmStart(model, m, f["init-from"] as string);
    const fold = run.initFrom.foldedNullClass;
    console.log(
      `initialised from ${run.initFrom.dir} (${run.initFrom.name}, step ${run.initFrom.step})${fold === null ? "" : `, null class ${fold} folded into time_embed.2.bias`}`,
    );
  }
  const state = initTrainState(model, [run.emaRate]);
  if (f.resume) {
    const restored = loadCheckpoint(out, state);
    fromStoredRun(true, out, () => task.loadState?.(restored.taskState), "taskState");
    if (restoreModelFile(out, model, state)) console.log(`${out}: ${MODEL_FILE} was not the checkpoint's (an interrupted save); rewrote it from ${STATE_FILE}`);
    console.log(`resumed ${out} at step ${state.step}`);
  }
  const engine = f.engine as "onnx" | "tfjs";
  const threads = f.threads as number | undefined;
  const steps = f.steps as number;
  const anneal = f["lr-anneal-steps"] as number | undefined;
  if (anneal !== undefined) {
    if (!Number.isInteger(anneal) || anneal <= state.step)
      throw new UsageError(`--lr-anneal-steps must be an integer step after the current one (${state.step}), got ${anneal}`);
    if (run.lrAnneal && state.step >= run.lrAnneal.steps) {
      // the previous anneal reached 0: restart from the full rate (steps before now never run again)
      run.lrAnnealsDone = [...(run.lrAnnealsDone ?? []), run.lrAnneal];
      run.lrAnneal = undefined;
    }
    if (run.lrAnneal && run.lrAnneal.steps !== anneal)
      throw new UsageError(`${out} already anneals to 0 at step ${run.lrAnneal.steps}; drop --lr-anneal-steps or pass ${run.lrAnneal.steps}`);
    run.lrAnneal ??= { steps: anneal, from: state.step };
  } else if (run.lrAnneal && state.step >= run.lrAnneal.steps && steps > state.step) {
    throw new UsageError(
      `${out}: its learning rate reached 0 at step ${run.lrAnneal.steps}, so more steps would change nothing; ` +
        `pass --lr-anneal-steps ${steps} to restart from the full rate and decay to 0 again`,
    );
  }
  const params = Array.from(model.params.values()).reduce((s, v) => s + v.size, 0);
  const workers = threads ?? defaultThreads();
  const executor =
    engine === "onnx" ? `the engine (ONNX Runtime, ${workers === 1 ? "1 thread" : `${workers} data-parallel sessions of 1 thread`})` : `tfjs (${backend.name})`;
  // runs from before the engine existed ran on tfjs's wasm backend
  run.executors ??= state.step > 0 ? [{ from: 0, executor: "tfjs (wasm)" }] : [];
  if (run.executors[run.executors.length - 1]?.executor !== executor) run.executors.push({ from: state.step, executor });
  console.log(`${run.name}: ${params} parameters, ${data.n} images (${data.name}), batch ${run.batch}, ${executor}, steps ${state.step} -> ${steps}`);
  writeFileAtomic(join(out, "run.json"), JSON.stringify({ ...run, backend: backend.name, params }, null, 2) + "\n");
  const started = Date.now();
  const maxMs = (f["max-minutes"] as number) * 60000;
  // Ctrl-C or a polite kill finishes the current step, saves a checkpoint and exits.
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error("\nstopping: saving a checkpoint after this step (press Ctrl-C again to quit without saving)");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  await train(model, task, state, {
    steps,
    lr: { lr: run.lr, warmup: run.warmup, decaySteps: run.lrAnneal?.steps, decayFrom: run.lrAnneal?.from },
    adam: { weightDecay: run.weightDecay },
    gradClip: run.gradClip || undefined,
    emaRates: [run.emaRate],
    seed: run.seed,
    shouldStop: () => interrupted || (maxMs > 0 && Date.now() - started > maxMs),
    checkpointEvery: run.saveEvery,
    saveCheckpoint: (s) => {
      saveCheckpoint(out, model, s, run);
      if (snapshotEvery > 0 && s.step % snapshotEvery === 0) saveEmaSnapshot(out, model, s, run);
    },
    progress: run.name,
    engine,
    threads,
  });
  const recent = state.history.slice(-50);
  const mean = recent.reduce((a, s) => a + s.loss, 0) / Math.max(1, recent.length);
  console.log(
    `done: step ${state.step}, mean loss of the last ${recent.length} steps ${mean.toFixed(4)}, ${((Date.now() - started) / 60000).toFixed(1)} min; checkpoint in ${out}`,
  );
}

/** `make()`; on a resumed run, what it throws is the stored run's fault: an AdmInputError naming the state file and `key`. */
function fromStoredRun<T>(resumed: boolean, out: string, make: () => T, key = "config"): T {
  try {
    return make();
  } catch (e) {
    if (!resumed || e instanceof AdmInputError) throw e;
    return refuse(
      join(out, STATE_FILE),
      `__metadata__ "${key}"`,
      (e as Error).message,
      "resume only a folder written by adm-ts train, or start a new run in another --out",
    );
  }
}
