/**
 * Sample images from a trained model, optionally with classifier guidance (ADM-G) or classifier-free
 * guidance, and write a PNG grid and an .npz in the ADM evaluation format (arr_0: uint8 NHWC images,
 * arr_1: int64 labels).
 *   adm-ts sample --model models/fashion-cond --n 64 --sampler ddim --steps 25 --out samples/cond
 *   adm-ts sample --model models/fashion-uncond --classifier models/fashion-classifier --scale 10 --class 7
 */
import { rmSync } from "fs";
import { initBackend } from "../lib/backend";
import { createGaussianDiffusion } from "../lib/diffusion/gaussian-diffusion";
import { etaLimit, scheduleOf } from "../lib/sampling/loop";
import { SAMPLERS, getSampler } from "../lib/sampling/samplers";
import { cfgModel } from "../lib/sampling/guidance";
import { chooseEngine, describeEngine } from "../lib/engine/choose";
import { guidanceOnEngine, unetOnEngine } from "../lib/course/on-engine";
import { checkGuidance, loadTrainedClassifier, loadTrainedDiffusion } from "../lib/course/trained-model";
import { balancedLabels, drawImages, stageSampleSet } from "../lib/course/sample-sets";
import { commitInOrder, prepareOutput, stageAll, stageBytes } from "../lib/io/write-files";
import { imageGridPng } from "../lib/viz/images";
import { progress } from "../lib/viz/progress";
import { forFlag, parseFlags, UsageError, type FlagSpec } from "./cli-args";

/** The most images one run draws: ADM evaluates FID on 50,000 samples; more would not fit the grid or, for large models, memory. */
export const MAX_SAMPLES = 50_000;

const FLAGS: Record<string, FlagSpec> = {
  model: { type: "string", help: "trained diffusion model directory (with model.safetensors)" },
  classifier: {
    type: "string",
    help: "noisy classifier directory for classifier guidance (ADM-G); it must match the model's diffusion steps, schedule and image size",
  },
  scale: { type: "number", help: "classifier guidance scale s (needs --classifier; 1 when left out)" },
  "cfg-scale": { type: "number", help: "classifier-free guidance weight w (model trained with label dropout)" },
  sampler: {
    type: "string",
    default: "ddim",
    choices: Object.keys(SAMPLERS),
    help: Object.values(SAMPLERS)
      .map((s) => `${s.name}: ${s.about}`)
      .join("; "),
  },
  steps: {
    type: "integer",
    default: 25,
    min: 1,
    help: "sampling steps, spaced the sampler's way over the model's diffusion steps (ddim: integer stride, ddpm: even, dpm++: even in log-SNR)",
  },
  eta: {
    type: "number",
    min: 0,
    help: "DDIM eta (0, the default: deterministic; 1: the DDPM posterior variance; at most about 1.05, which the schedule decides)",
  },
  n: { type: "integer", default: 64, min: 1, max: MAX_SAMPLES, help: "number of images" },
  class: { type: "string", default: "all", help: "class label for every image, or 'all' to cycle through the classes" },
  seed: { type: "integer", default: 0, min: 0, max: 2 ** 32 - 1, help: "seed for x_T and sampling noise" },
  batch: { type: "integer", default: 64, min: 1, max: 4096, help: "images per forward pass" },
  engine: {
    type: "string",
    choices: ["onnx", "tfjs"],
    help: "onnx (ONNX Runtime; the default when onnxruntime-node loads) or tfjs; default ADM_ENGINE; threads: ADM_ONNX_THREADS",
  },
  out: { type: "string", default: "samples/sample", help: "output path without extension: writes OUT.png and OUT.npz (checked writable before sampling)" },
};

export async function main(argv: string[]): Promise<void> {
  const f = parseFlags(argv, FLAGS, "usage: adm-ts sample --model DIR [--classifier DIR --scale S] [flags]");
  if (!f) return;
  if (!f.model) throw new UsageError("--model DIR is required");
  if (f._given.has("scale") && !f.classifier)
    throw new UsageError("--scale is the classifier guidance scale: it needs --classifier DIR (for classifier-free guidance use --cfg-scale)");
  const sampler = getSampler(f.sampler as string);
  if (f._given.has("eta") && !sampler.extraOptions.includes("eta")) throw new UsageError(`--eta applies to ddim only; --sampler ${sampler.name} has no eta`);
  const steps = f.steps as number,
    n = f.n as number,
    batch = f.batch as number,
    out = f.out as string;
  const files = { png: `${out}.png`, npz: `${out}.npz` };
  forFlag("--out", () => prepareOutput([files.png, files.npz]));
  await initBackend();
  const engine = forFlag("--engine", () => chooseEngine({ engine: f.engine as string | undefined }));
  console.log(describeEngine(engine));
  const trained = loadTrainedDiffusion(f.model as string);
  const classifier = f.classifier ? loadTrainedClassifier(f.classifier as string) : undefined;
  const guidedClasses = classifier ? forFlag("--classifier", () => checkGuidance(trained, classifier)) : undefined;
  const cfgW = f["cfg-scale"] as number | undefined;
  if (cfgW !== undefined && trained.nullClass === null) throw new UsageError(`--cfg-scale needs a model trained with label dropout; ${f.model} was not`);
  const classes = guidedClasses ?? trained.classes;
  const cls = f.class as string;
  const fixed = cls === "all" ? undefined : Number(cls);
  if (fixed !== undefined && classes === null)
    throw new UsageError(`--class: ${f.model} is unconditional; pass --classifier to ask for a class, or leave --class out`);
  if (fixed !== undefined && !(/^\d+$/.test(cls) && fixed < (classes as number)))
    throw new UsageError(`--class must be 0-${(classes as number) - 1} or 'all', got ${cls}`);
  const labels = fixed === undefined ? balancedLabels(n, classes) : new Int32Array(n).fill(fixed);

  const diffusion = createGaussianDiffusion(trained.diffusion);
  forFlag("--steps", () => scheduleOf(sampler, diffusion, steps));
  const eta = f.eta as number | undefined;
  if (eta !== undefined && eta > etaLimit(sampler, diffusion, steps)) {
    throw new UsageError(
      `--eta ${eta} is too large for ${steps} ${sampler.name} steps of this model: at most ${etaLimit(sampler, diffusion, steps).toFixed(4)} (DDIM needs sigma_t^2 <= 1 - alphaBar_{t-1})`,
    );
  }
  const net = await unetOnEngine(trained.net, engine);
  const model = cfgW !== undefined ? cfgModel(net, { scale: cfgW, nullClass: trained.nullClass as number }) : net;
  const scale = (f.scale as number | undefined) ?? 1;
  const guide = classifier ? await guidanceOnEngine(classifier.net, scale, engine) : undefined;
  const condFn = guide?.condFn;
  const h = trained.net.config.imageSize,
    c = trained.net.config.inChannels;
  const bar = progress("sample", Math.ceil(n / batch) * steps);
  const t0 = Date.now();
  const images = await drawImages({
    sampler,
    diffusion,
    model,
    condFn,
    labels,
    size: [h, h, c],
    steps,
    eta,
    seed: f.seed as number,
    batch,
    onStep: () => bar.tick(),
  });
  bar.done();
  await Promise.all([net.dispose(), guide?.dispose()]);
  const png = await imageGridPng({ data: images, shape: [n, h, h, c] }, { cols: 10, range: "byte", scale: 2 });
  const [pngFile, npzFile] = stageAll([
    () => stageBytes(files.png, png),
    () => stageSampleSet(files.npz, { images: { data: images, shape: [n, h, h, c] }, labels }),
  ]);
  // Both files are complete on disk; now the renames. The .npz is the run's result and its rename
  // is the commit point: the old .npz goes first, so an .npz never sits beside a grid of another
  // run (a kill in between leaves a grid and no arrays, never a new grid with old arrays).
  rmSync(files.npz, { force: true });
  commitInOrder([pngFile, npzFile]);
  console.log(
    `wrote ${files.png} and ${files.npz}: ${n} images, ${sampler.name} ${steps} steps` +
      `${classifier ? `, classifier guidance s=${scale}` : ""}${cfgW !== undefined ? `, classifier-free w=${cfgW}` : ""}, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}
