/**
 * One classifier-guided 256x256 ImageNet sample (ADM-G: Table 11's 256x256 model and the released
 * 256x256 classifier, DDIM with classifier guidance at scale s) on the engine, timed per step.
 * Random weights unless the released checkpoints are given, so it runs as is on any machine:
 *   node scripts/run-ts.js bench/guided-256.ts [--providers cuda,cpu] [--steps 25] [--scale 10] [--class 207]
 *     [--model 256x256_diffusion.pt --classifier 256x256_classifier.pt] [--out bench/results/guided-256.png]
 */
import * as tf from "@tensorflow/tfjs";
import { mkdirSync, writeFileSync } from "fs";
import { dirname } from "path";
import { initBackend } from "../lib/backend";
import { createGaussianDiffusion } from "../lib/diffusion/gaussian-diffusion";
import { classifierFromStateDict, unetFromStateDict } from "../lib/engine/emit-model";
import { chooseEngine, describeEngine } from "../lib/engine/choose";
import { loadTorchCheckpoint } from "../lib/io/torch-checkpoint";
import { classifierConfigFromFlags, parseFlags as parseModelFlags, RELEASED_CLASSIFIERS, TABLE_11_MODELS, unetConfigFromFlags } from "../lib/models/index";
import { sample } from "../lib/sampling/loop";
import { ddim } from "../lib/sampling/samplers";
import { guidanceOnEngine, unetOnEngine } from "../lib/course/on-engine";
import { imageGridPng } from "../lib/viz/images";
import { parseFlags, runCli, UsageError, type FlagSpec } from "../scripts/cli-args";
import { randomClassifier, randomUNet } from "./random-weights";

const FLAGS: Record<string, FlagSpec> = {
  providers: { type: "string", default: "cpu", help: "ONNX Runtime execution providers in order (cuda, webgpu, cpu)" },
  steps: { type: "number", default: 25, help: "DDIM steps" },
  scale: { type: "number", default: 10, help: "classifier guidance scale s" },
  class: { type: "number", default: 207, help: "ImageNet class to guide towards" },
  model: { type: "string", help: "guided-diffusion's 256x256_diffusion.pt (default: random weights)" },
  classifier: { type: "string", help: "guided-diffusion's 256x256_classifier.pt (default: random weights)" },
  out: { type: "string", default: "bench/results/guided-256.png", help: "where to write the sample" },
};

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), FLAGS, "usage: node scripts/run-ts.js bench/guided-256.ts [flags]");
  if (!f) return;
  const steps = f.steps as number,
    cls = f.class as number;
  if (!Number.isInteger(steps) || steps < 1) throw new UsageError(`--steps must be a positive integer, got ${steps}`);
  if (!Number.isInteger(cls) || cls < 0 || cls > 999) throw new UsageError(`--class must be an ImageNet class 0-999, got ${cls}`);
  await initBackend();
  const engine = chooseEngine({ engine: "onnx", executionProviders: (f.providers as string).split(",").filter(Boolean) });
  console.log(describeEngine(engine));
  const flags = TABLE_11_MODELS.imagenet256;
  const unetConfig = unetConfigFromFlags(flags),
    classifierConfig = classifierConfigFromFlags(RELEASED_CLASSIFIERS.imagenet256);
  let t0 = Date.now();
  const unetSource = f.model ? unetFromStateDict(unetConfig, loadTorchCheckpoint(f.model as string), f.model as string) : randomUNet(unetConfig, 1);
  const unet = await unetOnEngine(unetSource, engine);
  const classifierSource = f.classifier
    ? classifierFromStateDict(classifierConfig, loadTorchCheckpoint(f.classifier as string), f.classifier as string)
    : randomClassifier(classifierConfig, 2);
  const guide = await guidanceOnEngine(classifierSource, f.scale as number, engine);
  console.log(`loaded the UNet and the classifier (${f.model ? "released" : "random"} weights) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const m = parseModelFlags(flags);
  const d = createGaussianDiffusion({ steps: m.diffusion_steps, learnSigma: m.learn_sigma, noiseSchedule: m.noise_schedule as "linear" });
  const y = tf.tensor1d([cls], "int32");
  t0 = Date.now();
  let last = t0;
  const x = await sample(ddim, d, unet, [1, 256, 256, 3], {
    steps,
    seed: 0,
    modelKwargs: { y },
    condFn: guide.condFn,
    callback: ({ i, total }) => {
      if (i === 0 || i === total - 1) console.log(`step ${i + 1}/${total}: ${((Date.now() - last) / 1000).toFixed(2)} s`);
      last = Date.now();
    },
  });
  const seconds = (Date.now() - t0) / 1000;
  console.log(`guided 256x256 DDIM-${steps} (s = ${f.scale}, class ${cls}): ${seconds.toFixed(1)} s, ${(seconds / steps).toFixed(2)} s per guided step`);
  const out = f.out as string;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, await imageGridPng({ data: await x.data(), shape: [1, 256, 256, 3] }, { range: "signed" }));
  console.log(`wrote ${out}`);
  tf.dispose([x, y]);
  await Promise.all([unet.dispose(), guide.dispose()]);
}

runCli(main);
