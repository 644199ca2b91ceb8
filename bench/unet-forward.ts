/**
 * ImageNet 64x64 ADM (Table 11, 296M parameters) at batch 1 with random weights: build time, time per
 * forward, tfjs and process memory. Usage: node scripts/run-ts.js bench/unet-forward.ts [forwards=3]
 * Heavy: about 1.2 GB of float32 weights inside the 4 GB wasm heap.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend";
import { TABLE_11_MODELS, createModel } from "../lib/models";

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

function memory(when: string): void {
  const mem = tf.memory();
  const proc = process.memoryUsage();
  console.log(`${when}: tf.memory ${mem.numTensors} tensors, ${mb(mem.numBytes)}; process rss ${mb(proc.rss)}, external (wasm heap) ${mb(proc.external)}`);
}

async function main(): Promise<void> {
  const forwards = Number(process.argv[2] ?? 3);
  const backend = await initBackend();
  console.log(`backend: ${backend.name} (${backend.reason})`);
  let start = Date.now();
  const model = createModel(TABLE_11_MODELS.imagenet64);
  console.log(`build (random init of ${model.specs.length} tensors): ${((Date.now() - start) / 1000).toFixed(1)} s`);
  memory("after build");
  const x = tf.randomNormal([1, 64, 64, 3]) as tf.Tensor4D;
  const t = tf.tensor1d([500], "int32");
  const y = tf.tensor1d([207], "int32");
  for (let i = 0; i <= forwards; i++) {
    start = Date.now();
    const out = model.forward(x, t, y);
    await out.data();
    const ms = Date.now() - start;
    out.dispose();
    console.log(`forward ${i === 0 ? "(warm-up)" : i}: ${ms} ms`);
    memory(`after forward ${i}`);
  }
  tf.dispose([x, t, y]);
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
