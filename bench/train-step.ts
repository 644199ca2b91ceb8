/**
 * Training throughput of the course's ADM-small configurations on this machine: milliseconds per
 * Adam step of the full diffusion task (hybrid loss, learned sigma) and images per second.
 *   node scripts/run-ts.js bench/train-step.ts [batch] [steps]
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend";
import { UNetModel } from "../lib/models/unet";
import { createGaussianDiffusion } from "../lib/diffusion/gaussian-diffusion";
import { UniformSampler } from "../lib/diffusion/resample";
import { fashionMnistDataset } from "../lib/train/dataset";
import { diffusionTask } from "../lib/train/diffusion-task";
import { initTrainState, train } from "../lib/train/loop";
import { countSpecs } from "../lib/nn/params";
import { COURSE_CONFIGS } from "../lib/course/model-configs";
import { loadavg } from "os";

async function main(): Promise<void> {
  const backend = await initBackend();
  const batch = Number(process.argv[2] ?? 32),
    steps = Number(process.argv[3] ?? 4);
  const data = fashionMnistDataset("train", 32, { subset: true });
  console.log(`backend ${backend.name}; batch ${batch}; ${steps} timed steps after 1 warm-up; load ${loadavg()[0].toFixed(2)}`);
  for (const [name, cfg] of Object.entries(COURSE_CONFIGS)) {
    if (cfg.kind !== "diffusion") continue;
    const model = new UNetModel(cfg.unet);
    const diffusion = createGaussianDiffusion(cfg.diffusion);
    const task = diffusionTask({
      diffusion,
      model,
      data,
      batchSize: batch,
      seed: 0,
      sampler: new UniformSampler(diffusion),
      classCond: cfg.unet.numClasses != null,
    });
    const state = initTrainState(model, [0.999]);
    await train(model, task, state, { steps: 1, lr: { lr: 1e-4 }, seed: 0, progress: false });
    const t0 = Date.now();
    await train(model, task, state, { steps: 1 + steps, lr: { lr: 1e-4 }, seed: 0, progress: false });
    const ms = (Date.now() - t0) / steps;
    const params = countSpecs(
      Array.from(model.params.values()).map((v) => ({ name: v.name, shape: v.shape, layout: "same" as const, init: { kind: "zeros" as const } })),
    );
    console.log(
      `${name.padEnd(22)} ${String(params).padStart(9)} params  ${ms.toFixed(0).padStart(6)} ms/step  ${((batch * 1000) / ms).toFixed(1)} img/s  tensors ${tf.memory().numTensors}`,
    );
    model.dispose();
  }
}

main();
