/**
 * One cell of the benchmark table, in a process of its own (bench/index.ts starts it), so that its
 * peak memory is its own and a network that does not fit cannot take the suite down:
 *   node scripts/run-ts.js bench/cell.ts '{"spec": RowSpec, "executor": "tfjs" | "onnx", "threads": N, "providers": [...]}'
 * Prints one line `RESULT {"seconds", "loadSeconds", "peakMB"}`: seconds of the timed work (the
 * whole run for sample rows, per forward or per guided step otherwise), after a warm-up call.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend";
import { createGaussianDiffusion } from "../lib/diffusion/gaussian-diffusion";
import { chooseEngine } from "../lib/engine/choose";
import { EncoderUNetModel, UNetModel } from "../lib/models/index";
import { loadTrainedClassifier, loadTrainedDiffusion } from "../lib/course/trained-model";
import { guidanceOnEngine, unetOnEngine, type EngineGuidance, type EngineUNet } from "../lib/course/on-engine";
import { sample } from "../lib/sampling/loop";
import { ddim } from "../lib/sampling/samplers";
import { randomClassifier, randomUNet } from "./random-weights";
import type { RowSpec } from "./rows";

interface CellInput {
  spec: RowSpec;
  executor: "tfjs" | "onnx";
  threads: number;
  providers: string[];
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * The row's UNet (and classifier guidance) on the executor: trained course weights where the row
 * has them, else random ones (tfjs's own initialisation, or drawn straight into the ONNX graph).
 */
async function networks(input: CellInput): Promise<{ model: EngineUNet; guide?: EngineGuidance }> {
  const { spec } = input;
  const engine = chooseEngine({ engine: input.executor, threads: input.threads, executionProviders: input.providers });
  const tfjs = engine.name === "tfjs";
  const unet = spec.modelDir ? loadTrainedDiffusion(spec.modelDir).net : tfjs ? new UNetModel(spec.unet) : randomUNet(spec.unet);
  const classifier =
    spec.classifier === null
      ? null
      : spec.classifierDir
        ? loadTrainedClassifier(spec.classifierDir).net
        : tfjs
          ? new EncoderUNetModel(spec.classifier)
          : randomClassifier(spec.classifier);
  return { model: await unetOnEngine(unet, engine), guide: classifier ? await guidanceOnEngine(classifier, spec.scale, engine) : undefined };
}

async function measure(input: CellInput): Promise<{ seconds: number; loadSeconds: number }> {
  const { spec } = input;
  const loadStart = process.hrtime.bigint();
  const { model, guide } = await networks(input);
  const loadSeconds = seconds(loadStart);
  const size = spec.unet.imageSize,
    channels = spec.unet.inChannels;
  const shape: [number, number, number, number] = [spec.n, size, size, channels];
  const x = tf.randomNormal(shape, 0, 1, "float32", 1) as tf.Tensor4D;
  const t = tf.fill([spec.n], 500, "int32") as tf.Tensor1D;
  const y = tf.tensor1d(
    Array.from({ length: spec.n }, (_, i) => i % 10),
    "int32",
  );
  const forward = async (): Promise<void> => {
    (await model.forward(x, t, y)).dispose();
  };
  // warm-up: the first call plans memory (ONNX Runtime) or compiles kernels (tfjs)
  await forward();
  if (guide) (await guide.condFn(x, t, { y })).dispose();
  const d = createGaussianDiffusion(spec.diffusion);
  let result: number;
  if (spec.kind === "forward") {
    const times: number[] = [];
    for (let i = 0; i < spec.repeats; i++) {
      const start = process.hrtime.bigint();
      await forward();
      times.push(seconds(start));
    }
    result = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  } else {
    const start = process.hrtime.bigint();
    const out = await sample(ddim, d, model, shape, { steps: spec.steps, seed: 0, modelKwargs: { y }, condFn: guide?.condFn });
    await out.data();
    result = seconds(start) / (spec.kind === "guided-step" ? spec.steps : 1);
    out.dispose();
  }
  tf.dispose([x, t, y]);
  await Promise.all([model.dispose(), guide?.dispose()]);
  return { seconds: result, loadSeconds };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as CellInput;
  await initBackend();
  const r = await measure(input);
  console.log(`RESULT ${JSON.stringify({ ...r, peakMB: Math.round(process.resourceUsage().maxRSS / 1024) })}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
