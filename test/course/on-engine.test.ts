/**
 * Sampling on either engine gives the same images: DDIM-25 trajectories of the shipped course
 * models from the same x_T, ONNX Runtime against tfjs, through sampling.sample, within 1e-3 at
 * every step, plain (fashion-cond) and classifier-guided at s = 10 (fashion-uncond with
 * fashion-classifier: the engine's gradient graph against tf.grad).
 */
import * as tf from "@tensorflow/tfjs";
import { join, resolve } from "path";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion } from "../../lib/diffusion/gaussian-diffusion";
import { chooseEngine, type EngineChoice } from "../../lib/engine/choose";
import { guidanceOnEngine, unetOnEngine } from "../../lib/course/on-engine";
import { loadTrainedClassifier, loadTrainedDiffusion } from "../../lib/course/trained-model";
import { sample } from "../../lib/sampling/loop";
import { ddim } from "../../lib/sampling/samplers";

const MODELS = resolve(__dirname, "../../models");
const N = 4;

let tfjs: EngineChoice;
let onnx: EngineChoice;
beforeAll(async () => {
  await initBackend("wasm");
  tfjs = chooseEngine({ engine: "tfjs" });
  onnx = chooseEngine({ engine: "onnx", threads: 1 });
});

/** Each step's x (flattened copies) and the final sample of a DDIM-25 run on `engine`. */
async function trajectory(engine: EngineChoice, modelDir: string, noise: tf.Tensor4D, classifier?: { dir: string; scale: number }): Promise<Float32Array[]> {
  const trained = loadTrainedDiffusion(join(MODELS, modelDir));
  const d = createGaussianDiffusion(trained.diffusion);
  const model = await unetOnEngine(trained.net, engine);
  const guide = classifier ? await guidanceOnEngine(loadTrainedClassifier(join(MODELS, classifier.dir)).net, classifier.scale, engine) : undefined;
  const y = tf.tensor1d([1, 4, 7, 9], "int32");
  const steps: Float32Array[] = [];
  const tensors: number[] = [];
  const x = await sample(ddim, d, model, [N, 32, 32, 1], {
    steps: 25,
    noise,
    modelKwargs: { y },
    condFn: guide?.condFn,
    callback: (s) => (steps.push(s.x.dataSync() as Float32Array), tensors.push(tf.memory().numTensors)),
  });
  // the loop holds as many tensors at every step (the engine's outputs are disposed too)
  expect(new Set(tensors.slice(1)).size).toBe(1);
  steps.push((await x.data()) as Float32Array);
  tf.dispose([x, y]);
  await model.dispose();
  await guide?.dispose();
  trained.net.dispose();
  return steps;
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The largest difference over all steps, and the step it is at. */
function worst(a: Float32Array[], b: Float32Array[]): { err: number; step: number } {
  expect(a.length).toBe(b.length);
  return a.reduce((w, x, i) => (maxAbs(x, b[i]) > w.err ? { err: maxAbs(x, b[i]), step: i } : w), { err: 0, step: 0 });
}

test("DDIM-25 of fashion-cond from the same x_T: ONNX Runtime follows tfjs within 1e-3 at every step", async () => {
  const noise = tf.randomNormal([N, 32, 32, 1], 0, 1, "float32", 7) as tf.Tensor4D;
  const ref = await trajectory(tfjs, "fashion-cond", noise);
  const out = await trajectory(onnx, "fashion-cond", noise);
  const { err, step } = worst(out, ref);
  console.log(
    `fashion-cond DDIM-25: max |onnx - tfjs| over the trajectory ${err.toExponential(2)} (step ${step}), final ${maxAbs(out[25], ref[25]).toExponential(2)}`,
  );
  expect(ref.length).toBe(26);
  expect(err).toBeLessThan(1e-3);
  noise.dispose();
});

test("classifier-guided DDIM-25 (s = 10) of fashion-uncond: the engine's gradient graph follows tf.grad within 1e-3", async () => {
  const noise = tf.randomNormal([N, 32, 32, 1], 0, 1, "float32", 8) as tf.Tensor4D;
  const guidance = { dir: "fashion-classifier", scale: 10 };
  const ref = await trajectory(tfjs, "fashion-uncond", noise, guidance);
  const out = await trajectory(onnx, "fashion-uncond", noise, guidance);
  const plain = await trajectory(onnx, "fashion-uncond", noise);
  const { err, step } = worst(out, ref);
  const guidanceEffect = maxAbs(out[25], plain[25]);
  console.log(
    `fashion-uncond guided s=10: max |onnx - tfjs| ${err.toExponential(2)} (step ${step}); guidance moved the samples by up to ${guidanceEffect.toFixed(2)}`,
  );
  // guidance changed the images by far more than the engines differ
  expect(guidanceEffect).toBeGreaterThan(0.1);
  expect(err).toBeLessThan(1e-3);
  noise.dispose();
});
