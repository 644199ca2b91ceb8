/**
 * Sample sets for metric curves: one ADM-format .npz per point (arr_0 uint8 NHWC images, arr_1 labels,
 * as `adm-ts sample` writes them) and OUT/sweep.json with the settings, each point's file and
 * parameters, the model's training step, the code version and the time taken. A point is written
 * whole or not at all, and a rerun of the same command skips the points already written, so Ctrl-C
 * (or a kill) loses only the point being drawn.
 *   adm-ts sweep --model models/fashion-uncond --classifier models/fashion-classifier --scales 0,1,2,4,10 --n 1000 --out samples/guidance
 *   adm-ts sweep --model models/fashion-cond --cfg-scales 1,2,4 --out samples/cond-cfg
 *   adm-ts sweep --model models/fashion-cond --snapshots --n 500 --out samples/cond-snapshots
 */
import { execFileSync } from "child_process";
import { existsSync } from "fs";
import { join, resolve } from "path";
import { initBackend } from "../lib/backend";
import { createGaussianDiffusion } from "../lib/diffusion/gaussian-diffusion";
import { etaLimit, scheduleOf } from "../lib/sampling/loop";
import { SAMPLERS, getSampler } from "../lib/sampling/samplers";
import { cfgModel } from "../lib/sampling/guidance";
import { chooseEngine, describeEngine, type EngineChoice } from "../lib/engine/choose";
import { guidanceOnEngine, unetOnEngine } from "../lib/course/on-engine";
import { checkGuidance, loadTrainedClassifier, loadTrainedDiffusion } from "../lib/course/trained-model";
import {
  balancedLabels,
  drawImages,
  listEmaSnapshots,
  loadEmaSnapshot,
  readSampleSet,
  readSweep,
  settingsDiffer,
  stageSampleSet,
  writeSweep,
  SWEEP_FILE,
  type Sweep,
  type SweepPoint,
  type SweepSettings,
} from "../lib/course/sample-sets";
import { FASHION_FEATURES_DIR, fashionSetMetrics } from "../lib/course/set-metrics";
import { prepareOutput } from "../lib/io/write-files";
import { progress } from "../lib/viz/progress";
import { forFlag, parseFlags, UsageError, type FlagSpec } from "./cli-args";
import { MAX_SAMPLES } from "./sample";

const USAGE =
  "usage: adm-ts sweep --model DIR [--classifier DIR --scales 0,1,2,4,10 | --cfg-scales 1,2,4 | --snapshots] [--sampler ddim --steps 25 --n N --seed S] --out samples/NAME";

const FLAGS: Record<string, FlagSpec> = {
  model: { type: "string", help: "trained diffusion model directory (with model.safetensors)" },
  classifier: { type: "string", help: "noisy classifier directory for classifier guidance (with --scales)" },
  scales: { type: "string", help: "classifier guidance scales s, one point each, comma-separated (0: unguided; needs --classifier)" },
  "cfg-scales": { type: "string", help: "classifier-free guidance weights w, one point each (1: the conditional model; needs label dropout)" },
  snapshots: { type: "boolean", help: "one point per EMA snapshot in DIR/ema-snapshots (adm-ts train --ema-snapshot-every), unguided" },
  "snapshot-steps": { type: "string", help: "with --snapshots: only the snapshots of these training steps, comma-separated (default all)" },
  sampler: { type: "string", default: "ddim", choices: Object.keys(SAMPLERS), help: "the sampler" },
  steps: { type: "integer", default: 25, min: 1, help: "sampling steps, spaced the sampler's way" },
  eta: { type: "number", min: 0, help: "DDIM eta (default 0: deterministic)" },
  n: { type: "integer", default: 1000, min: 1, max: MAX_SAMPLES, help: "images per point (labels balanced over the classes)" },
  seed: { type: "integer", default: 0, min: 0, max: 2 ** 32 - 1, help: "seed for x_T and sampling noise; every point uses the same seeds" },
  batch: { type: "integer", default: 64, min: 1, max: 4096, help: "images per forward pass" },
  engine: { type: "string", choices: ["onnx", "tfjs"], help: "onnx (ONNX Runtime; the default when it loads) or tfjs; default ADM_ENGINE" },
  metrics: {
    type: "boolean",
    help: "also record each point's FID, precision and recall against the Fashion-MNIST test set in sweep.json (models/fashion-features on the engine; points that have them are skipped)",
  },
  out: { type: "string", help: "output folder: one .npz per point and sweep.json (a rerun with the same settings resumes it)" },
};

/** Comma-separated distinct non-negative numbers given to `flag`. */
function numberList(flag: string, text: string): number[] {
  const parts = text.split(",").map((v) => v.trim());
  const values = parts.map((v) => (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v) ? Number(v) : NaN));
  const bad = parts.find((_, i) => !Number.isFinite(values[i]));
  if (bad !== undefined || !values.length) throw new UsageError(`--${flag} takes comma-separated non-negative numbers such as 0,1,2,4; got "${text}"`);
  if (new Set(values).size !== values.length) throw new UsageError(`--${flag} names a value twice ("${text}"); give each once`);
  return values;
}

/** The git commit of this checkout, "+dirty" when lib/ or scripts/ have uncommitted changes; "unknown" outside git. */
function codeVersion(): string {
  const root = resolve(__dirname, "..");
  try {
    const commit = execFileSync("git", ["-C", root, "rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["-C", root, "status", "--porcelain", "--", "lib", "scripts"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return commit + (dirty.trim() ? "+dirty" : "");
  } catch {
    return "unknown";
  }
}

/** A point to draw: its parameters as sweep.json keeps them. */
type Plan = Pick<SweepPoint, "file" | "scale" | "cfgScale" | "snapshot" | "guidance">;

function plan(f: Record<string, unknown>, model: string, over: SweepSettings["over"]): Plan[] {
  if (over === "scale")
    return numberList("scales", f.scales as string).map((s) => ({ file: `scale-${s}.npz`, scale: s, guidance: s === 0 ? "none" : `classifier s = ${s}` }));
  if (over === "cfg-scale")
    return numberList("cfg-scales", f["cfg-scales"] as string).map((w) => ({
      file: `cfg-${w}.npz`,
      cfgScale: w,
      guidance: w === 1 ? "none" : `classifier-free w = ${w}`,
    }));
  if (over === "snapshot") {
    const snapshots = listEmaSnapshots(model);
    if (!snapshots.length)
      throw new UsageError(`--snapshots: ${join(model, "ema-snapshots")} holds no step-NNNNNN.safetensors; train with --ema-snapshot-every`);
    const all = snapshots.map((s) => ({ file: s.replace(/^.*[/\\]/, "").replace(/\.safetensors$/, ".npz"), snapshot: s, guidance: "none" }));
    if (f["snapshot-steps"] === undefined) return all;
    const stepOf = (p: Plan) => Number(/step-(\d+)\.npz$/.exec(p.file)![1]);
    const wanted = numberList("snapshot-steps", f["snapshot-steps"] as string);
    const missing = wanted.filter((w) => !all.some((p) => stepOf(p) === w));
    if (missing.length)
      throw new UsageError(
        `--snapshot-steps: no snapshot of step ${missing.join(", ")} in ${join(model, "ema-snapshots")}; it has steps ${all.map(stepOf).join(", ")}`,
      );
    return all.filter((p) => wanted.includes(stepOf(p)));
  }
  return [{ file: "samples.npz", guidance: "none" }];
}

function checkFlags(f: Record<string, unknown> & { _given: ReadonlySet<string> }): SweepSettings["over"] {
  if (!f.model) throw new UsageError("--model DIR is required");
  if (!f.out) throw new UsageError("--out DIR is required (e.g. --out samples/guidance): the sweep's .npz files and sweep.json go there");
  const over = (["scales", "cfg-scales", "snapshots"] as const).filter((k) => f._given.has(k));
  if (over.length > 1) throw new UsageError(`${over.map((k) => "--" + k).join(" and ")} sweep different things; give one of them per sweep`);
  if (f._given.has("scales") && !f.classifier)
    throw new UsageError("--scales are classifier guidance scales: they need --classifier DIR (for classifier-free guidance use --cfg-scales)");
  if (f._given.has("snapshot-steps") && !f.snapshots) throw new UsageError("--snapshot-steps picks EMA snapshots: it needs --snapshots");
  if (f.classifier && !f._given.has("scales")) throw new UsageError("--classifier needs --scales, the guidance scales to sweep (e.g. --scales 0,1,2,4,10)");
  if (f._given.has("eta") && f.sampler !== "ddim") throw new UsageError(`--eta applies to ddim only; --sampler ${f.sampler} has no eta`);
  return over.length ? ({ scales: "scale", "cfg-scales": "cfg-scale", snapshots: "snapshot" } as const)[over[0]] : "none";
}

function engineName(e: EngineChoice): string {
  return e.name === "onnx" ? `onnx ${e.onnxRuntime} (${e.executionProviders.join(" > ")}, ${e.threads} thread${e.threads === 1 ? "" : "s"})` : "tfjs";
}

export async function main(argv: string[]): Promise<void> {
  const f = parseFlags(argv, FLAGS, USAGE);
  if (!f) return;
  const over = checkFlags(f);
  const modelDir = f.model as string,
    out = f.out as string;
  const points = plan(f, modelDir, over);
  forFlag("--out", () => prepareOutput([join(out, SWEEP_FILE), ...points.map((p) => join(out, p.file))]));
  const sampler = getSampler(f.sampler as string);
  const { n, steps, seed, batch } = f as unknown as Record<"n" | "steps" | "seed" | "batch", number>;
  await initBackend();
  const engine = forFlag("--engine", () => chooseEngine({ engine: f.engine as string | undefined }));
  console.log(describeEngine(engine));
  const trained = loadTrainedDiffusion(modelDir);
  const classifier = f.classifier ? loadTrainedClassifier(f.classifier as string) : undefined;
  const guidedClasses = classifier ? forFlag("--classifier", () => checkGuidance(trained, classifier)) : undefined;
  if (over === "cfg-scale" && trained.nullClass === null) throw new UsageError(`--cfg-scales needs a model trained with label dropout; ${modelDir} was not`);
  if (f.metrics && trained.net.config.inChannels !== 1)
    throw new UsageError(`--metrics compares with the Fashion-MNIST test set (grey images); ${modelDir} makes ${trained.net.config.inChannels}-channel images`);
  const classes = guidedClasses ?? trained.classes;
  const diffusion = createGaussianDiffusion(trained.diffusion);
  forFlag("--steps", () => scheduleOf(sampler, diffusion, steps));
  const eta = f.eta as number | undefined;
  if (eta !== undefined && eta > etaLimit(sampler, diffusion, steps))
    throw new UsageError(
      `--eta ${eta} is too large for ${steps} ${sampler.name} steps of this model: at most ${etaLimit(sampler, diffusion, steps).toFixed(4)}`,
    );

  const settings: SweepSettings = {
    model: modelDir,
    modelStep: trained.step,
    classifier: classifier ? (f.classifier as string) : null,
    classifierStep: classifier?.step ?? null,
    over,
    sampler: sampler.name,
    steps,
    eta: eta ?? null,
    n,
    seed,
    batch,
    labels: classes === null ? "none (unconditional): arr_1 is all 0" : `balanced over ${classes} classes: image i asks for class i mod ${classes}`,
  };
  const before = readSweep(out);
  if (before) {
    // a snapshot sweep's points each record their snapshot's step; the run's own step may move on between commands
    const differ = settingsDiffer(before.settings, settings).filter((d) => !(over === "snapshot" && d.startsWith("modelStep:")));
    if (differ.length)
      throw new UsageError(`--out ${out} holds a sweep made with other settings (${differ.join("; ")}); pass another --out, or remove ${out} to start again`);
  }
  const sweep: Sweep = { command: `adm-ts sweep ${argv.join(" ")}`, settings, points: [] };
  const kept = new Map((before?.points ?? []).filter((p) => existsSync(join(out, p.file))).map((p) => [p.file, p]));
  const toDraw = points.filter((p) => !kept.has(p.file));
  // this command's points in its order; points an earlier command of the same settings drew stay, after them
  const order = (p: SweepPoint) => {
    const i = points.findIndex((q) => q.file === p.file);
    return i < 0 ? points.length : i;
  };
  const save = () => {
    sweep.points = [...kept.values()].sort((a, b) => order(a) - order(b));
    writeSweep(out, sweep);
  };
  if (toDraw.length < points.length)
    console.log(`${out}: ${points.length - toDraw.length} of ${points.length} points already written with these settings; drawing ${toDraw.length}`);
  save();

  const stop = new AbortController();
  const onSigint = () => stop.abort(new Error("interrupted (Ctrl-C)"));
  process.once("SIGINT", onSigint);
  const bar = progress("sweep", toDraw.length * Math.ceil(n / batch) * steps);
  const labels = balancedLabels(n, classes);
  const { imageSize: h, inChannels: c } = trained.net.config;
  const code = codeVersion();
  let drawn = 0;
  try {
    for (const p of toDraw) {
      const modelStep = p.snapshot ? loadEmaSnapshot(trained, join(modelDir, p.snapshot)) : trained.step;
      const t0 = Date.now();
      const net = await unetOnEngine(trained.net, engine);
      const model = p.cfgScale !== undefined && p.cfgScale !== 1 ? cfgModel(net, { scale: p.cfgScale, nullClass: trained.nullClass as number }) : net;
      const guide = classifier && p.scale ? await guidanceOnEngine(classifier.net, p.scale, engine) : undefined;
      try {
        const images = await drawImages({
          sampler,
          diffusion,
          model,
          condFn: guide?.condFn,
          labels,
          size: [h, h, c],
          steps,
          eta,
          seed,
          batch,
          onStep: () => bar.tick(),
          signal: stop.signal,
        });
        stageSampleSet(join(out, p.file), { images: { data: images, shape: [n, h, h, c] }, labels }).commit();
      } finally {
        await Promise.all([net.dispose(), guide?.dispose()]);
      }
      const seconds = Math.round((Date.now() - t0) / 100) / 10;
      kept.set(p.file, { ...p, modelStep, n, seconds, engine: engineName(engine), code, finished: new Date().toISOString() });
      save();
      drawn++;
      bar.tick(0, `${p.file} ${seconds} s`);
    }
  } catch (e) {
    if (!stop.signal.aborted) throw e;
    bar.done();
    console.log(`stopped: ${points.length - toDraw.length + drawn} of ${points.length} points are in ${out}; run the same command again to draw the rest`);
    process.exitCode = 130;
    return;
  } finally {
    process.off("SIGINT", onSigint);
  }
  bar.done();
  console.log(`wrote ${join(out, SWEEP_FILE)}: ${points.length} points of ${n} images, ${sampler.name} ${steps} steps`);
  if (f.metrics) {
    await measure(out, sweep.points, save, engine);
    console.log(metricsTable(sweep.points));
  }
}

/** Fill in the FID, precision and recall of the points that lack them, saving sweep.json after each. */
async function measure(out: string, points: SweepPoint[], save: () => void, engine: EngineChoice): Promise<void> {
  const features = loadTrainedClassifier(FASHION_FEATURES_DIR);
  features.net.dispose();
  for (const p of points) {
    if (p.metrics) continue;
    const m = await fashionSetMetrics(readSampleSet(join(out, p.file)).images, { threads: engine.threads ?? undefined });
    p.metrics = { fid: m.fid, precision: m.precision, recall: m.recall, referenceN: m.referenceN, features: `models/fashion-features step ${features.step}` };
    save();
    console.log(`${p.file}: FID ${m.fid.toFixed(3)}, precision ${m.precision.toFixed(3)}, recall ${m.recall.toFixed(3)}`);
  }
}

function metricsTable(points: SweepPoint[]): string {
  const rows = points.map((p) => {
    const m = p.metrics!;
    return `| ${p.file} | ${p.guidance} | ${p.modelStep} | ${p.n} | ${m.fid.toFixed(3)} | ${m.precision.toFixed(3)} | ${m.recall.toFixed(3)} |`;
  });
  return ["| point | guidance | model step | n | FID | precision | recall |", "|---|---|---|---|---|---|---|", ...rows].join("\n");
}
