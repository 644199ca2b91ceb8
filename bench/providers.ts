/**
 * Which ONNX Runtime execution providers work here: for each one named, a small random-weight ADM
 * UNet (16x16, attention, AdaGN, BigGAN up/down) and the noisy classifier's gradient graph, run on
 * that provider and compared with the CPU provider (max abs difference of the outputs).
 *   node scripts/run-ts.js bench/providers.ts [cuda webgpu cpu]
 * Prints one line per provider: its difference from CPU, or the exact error it failed with.
 */
import { onnxClassifierGradient, onnxModel } from "../lib/engine/onnx-model";
import type { EncoderUNetConfig, UNetConfig } from "../lib/models/index";
import { randomClassifier, randomUNet } from "./random-weights";

const UNET: UNetConfig = {
  imageSize: 16,
  inChannels: 3,
  modelChannels: 32,
  outChannels: 6,
  numResBlocks: 1,
  attentionResolutions: [2],
  channelMult: [1, 2],
  numClasses: 10,
  numHeadChannels: 16,
  useScaleShiftNorm: true,
  resblockUpdown: true,
  useNewAttentionOrder: true,
};
const CLASSIFIER: EncoderUNetConfig = {
  imageSize: 16,
  inChannels: 3,
  modelChannels: 32,
  outChannels: 10,
  numResBlocks: 1,
  attentionResolutions: [2],
  channelMult: [1, 2],
  numHeadChannels: 16,
  useScaleShiftNorm: true,
  resblockUpdown: true,
  useNewAttentionOrder: true,
  pool: "attention",
};

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The UNet's output and the classifier's gradient on `providers`, for fixed inputs. */
async function outputs(providers: string[]): Promise<{ out: Float32Array; grad: Float32Array }> {
  const opts = { threads: 1, executionProviders: providers };
  const x = { data: Float32Array.from({ length: 2 * 16 * 16 * 3 }, (_, i) => Math.sin(i * 0.37)), shape: [2, 16, 16, 3] as [number, number, number, number] };
  const unet = await onnxModel(randomUNet(UNET, 1), opts);
  try {
    const classifier = await onnxClassifierGradient(randomClassifier(CLASSIFIER, 2), opts);
    try {
      const out = (await unet.run(x, [10, 700], [3, 7])).data;
      const grad = (await classifier.run(x, [10, 700], [3, 7])).grad;
      return { out, grad };
    } finally {
      await classifier.dispose();
    }
  } finally {
    await unet.dispose();
  }
}

async function main(): Promise<void> {
  const names = process.argv.length > 2 ? process.argv.slice(2) : ["cuda", "webgpu", "cpu"];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require("onnxruntime-node") as { listSupportedBackends(): { name: string; bundled: boolean }[] };
  console.log(
    `onnxruntime-node backends: ${ort
      .listSupportedBackends()
      .map((b) => `${b.name}${b.bundled ? "" : " (not bundled)"}`)
      .join(", ")}`,
  );
  const cpu = await outputs(["cpu"]);
  let failed = 0;
  for (const name of names) {
    const start = Date.now();
    try {
      const r = await outputs([name]);
      console.log(
        `${name}: ok, UNet output max |${name} - cpu| ${maxAbs(r.out, cpu.out).toExponential(2)}, classifier gradient ${maxAbs(r.grad, cpu.grad).toExponential(2)} (${Date.now() - start} ms)`,
      );
    } catch (e) {
      failed++;
      console.log(`${name}: FAILED: ${(e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ")}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

main();
