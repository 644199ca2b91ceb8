/**
 * Sample images from a trained model, optionally with classifier guidance (ADM-G) or classifier-free
 * guidance, and write a PNG grid and an .npz in the ADM evaluation format (arr_0: uint8 NHWC images,
 * arr_1: int64 labels).
 *   adm-ts sample --model models/fashion-cond --n 64 --sampler ddim --steps 25 --out samples/cond
 *   adm-ts sample --model models/fashion-uncond --classifier models/fashion-classifier --scale 10 --class 7
 */
import * as tf from "@tensorflow/tfjs";
import { mkdirSync, writeFileSync } from "fs";
import { dirname } from "path";
import { initBackend } from "../lib/backend";
import { createGaussianDiffusion } from "../lib/diffusion/gaussian-diffusion";
import { sample } from "../lib/sampling/loop";
import { SAMPLERS, getSampler } from "../lib/sampling/samplers";
import { cfgModel } from "../lib/sampling/guidance";
import { chooseEngine, describeEngine } from "../lib/engine/choose";
import { guidanceOnEngine, unetOnEngine } from "../lib/course/on-engine";
import { loadTrainedClassifier, loadTrainedDiffusion } from "../lib/course/trained-model";
import { writeNpz } from "../lib/io/npz";
import { imageGridPng } from "../lib/viz/images";
import { progress } from "../lib/viz/progress";
import { parseFlags, UsageError, type FlagSpec } from "./cli-args";

const FLAGS: Record<string, FlagSpec> = {
  model: { type: "string", help: "trained diffusion model directory (with model.safetensors)" },
  classifier: { type: "string", help: "noisy classifier directory for classifier guidance (ADM-G)" },
  scale: { type: "number", default: 1, help: "classifier guidance scale s (with --classifier)" },
  "cfg-scale": { type: "number", help: "classifier-free guidance weight w (model trained with label dropout)" },
  sampler: { type: "string", default: "ddim", help: Object.values(SAMPLERS).map((s) => `${s.name}: ${s.about}`).join("; ") },
  steps: { type: "number", default: 25, help: "sampling steps, spaced the sampler's way over the 1000 training steps (ddim: integer stride, ddpm: even, dpm++: even in log-SNR)" },
  eta: { type: "number", default: 0, help: "DDIM eta (0: deterministic)" },
  n: { type: "number", default: 64, help: "number of images" },
  class: { type: "string", default: "all", help: "class label for every image, or 'all' to cycle through classes 0-9" },
  seed: { type: "number", default: 0, help: "seed for x_T and sampling noise" },
  batch: { type: "number", default: 64, help: "images per forward pass" },
  engine: { type: "string", help: "onnx (ONNX Runtime; the default when onnxruntime-node loads) or tfjs; default ADM_ENGINE; threads: ADM_ONNX_THREADS" },
  out: { type: "string", default: "samples/sample", help: "output path without extension: writes OUT.png and OUT.npz" },
};

/** The value of `f`, its error reported as a usage error of `flag`. */
function usage<T>(flag: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const f = parseFlags(argv, FLAGS, "usage: adm-ts sample --model DIR [--classifier DIR --scale S] [flags]");
  if (!f) return;
  if (!f.model) throw new UsageError("--model DIR is required");
  const sampler = usage("--sampler", () => getSampler(f.sampler as string));
  const steps = f.steps as number, n = f.n as number, batch = f.batch as number;
  if (!Number.isInteger(steps) || steps < sampler.minSteps) throw new UsageError(`--steps must be an integer >= ${sampler.minSteps} for ${sampler.name}, got ${steps}`);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--n must be a positive integer, got ${n}`);
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch must be a positive integer, got ${batch}`);
  await initBackend();
  const engine = usage("--engine", () => chooseEngine({ engine: f.engine as string | undefined }));
  console.log(describeEngine(engine));
  const trained = loadTrainedDiffusion(f.model as string);
  const classifier = f.classifier ? loadTrainedClassifier(f.classifier as string) : undefined;
  if (classifier && !classifier.noised) throw new UsageError(`--classifier ${f.classifier} was trained on clean images; guidance needs a noisy classifier`);
  const cfgW = f["cfg-scale"] as number | undefined;
  if (cfgW !== undefined && trained.nullClass === null) throw new UsageError(`--cfg-scale needs a model trained with label dropout; ${f.model} was not`);
  const labeled = trained.classCond || classifier !== undefined;
  const cls = f.class as string;
  const fixed = cls === "all" ? undefined : Number(cls);
  if (fixed !== undefined && !(Number.isInteger(fixed) && fixed >= 0 && fixed < 10)) throw new UsageError(`--class must be 0-9 or 'all', got ${cls}`);
  const labels = Int32Array.from({ length: n }, (_, i) => fixed ?? i % 10);

  const diffusion = createGaussianDiffusion(trained.diffusion);
  const net = await unetOnEngine(trained.net, engine);
  const model = cfgW !== undefined ? cfgModel(net, { scale: cfgW, nullClass: trained.nullClass as number }) : net;
  const guide = classifier ? await guidanceOnEngine(classifier.net, f.scale as number, engine) : undefined;
  const condFn = guide?.condFn;
  const h = trained.net.config.imageSize, c = trained.net.config.inChannels;
  const bar = progress("sample", Math.ceil(n / batch) * steps);
  const images = new Uint8Array(n * h * h * c);
  const t0 = Date.now();
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const y = tf.tensor1d(labels.subarray(start, start + m), "int32");
    const eta = sampler.extraOptions.includes("eta") ? (f.eta as number) : undefined;
    const opts = { modelKwargs: labeled ? { y } : {}, condFn, seed: (f.seed as number) + start, eta, steps, progress: () => bar.tick() };
    const x = await sample(sampler, diffusion, model, [m, h, h, c], opts);
    const bytes = tf.tidy(() => x.add(1).mul(127.5).round().clipByValue(0, 255).toInt());
    images.set(Int32Array.from(await bytes.data()), start * h * h * c);
    tf.dispose([x, y, bytes]);
  }
  bar.done();
  await Promise.all([net.dispose(), guide?.dispose()]);
  const out = f.out as string;
  mkdirSync(dirname(out) || ".", { recursive: true });
  writeFileSync(out + ".png", await imageGridPng({ data: images, shape: [n, h, h, c] }, { cols: 10, range: "byte", scale: 2 }));
  writeNpz(out + ".npz", new Map([
    ["arr_0", { dtype: "uint8", shape: [n, h, h, c], data: images }],
    ["arr_1", { dtype: "int64", shape: [n], data: BigInt64Array.from(labels, (v) => BigInt(v)) }],
  ]));
  console.log(`wrote ${out}.png and ${out}.npz: ${n} images, ${sampler.name} ${steps} steps` +
    `${classifier ? `, classifier guidance s=${f.scale}` : ""}${cfgW !== undefined ? `, classifier-free w=${cfgW}` : ""}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
