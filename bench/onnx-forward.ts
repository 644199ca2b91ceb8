/**
 * Speed probe: one forward of the course UNet (fashion-cond, 32x32, batch 32, random weights) on
 * tfjs (the active backend, wasm here) and on ONNX Runtime with 1 and 2 threads, median of a few
 * runs after a warm-up. A probe, not the benchmark suite.
 * Usage: node scripts/run-ts.js bench/onnx-forward.ts [runs=5] [batch=32]
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend";
import { onnxModel } from "../lib/engine/onnx-model";
import { UNetModel } from "../lib/models";
import { COURSE_CONFIGS } from "../lib/course/model-configs";

async function median(runs: number, f: () => Promise<void>): Promise<number> {
  await f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await f();
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const batch = Number(process.argv[3] ?? 32);
  const backend = await initBackend();
  const cfg = COURSE_CONFIGS["fashion-cond"];
  if (cfg.kind !== "diffusion") throw new Error("fashion-cond is a diffusion model");
  const model = new UNetModel(cfg.unet);
  const x = tf.randomNormal([batch, 32, 32, 1], 0, 1, "float32", 1) as tf.Tensor4D;
  const t = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => (i * 37) % 1000),
    "int32",
  );
  const y = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 11),
    "int32",
  );
  const tfjsMs = await median(runs, async () => {
    const out = model.forward(x, t, y);
    await out.data();
    out.dispose();
  });
  console.log(`course UNet forward, batch ${batch}, median of ${runs}:`);
  console.log(`  tfjs (${backend.name}): ${tfjsMs.toFixed(1)} ms`);
  for (const threads of [1, 2]) {
    const engine = await onnxModel(model, { threads });
    const onnxMs = await median(runs, async () => {
      (await engine.forward(x, t, y)).dispose();
    });
    await engine.dispose();
    console.log(`  ONNX Runtime, ${threads} thread${threads > 1 ? "s" : ""}: ${onnxMs.toFixed(1)} ms (${(tfjsMs / onnxMs).toFixed(1)}x tfjs)`);
  }
  tf.dispose([x, t, y]);
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
