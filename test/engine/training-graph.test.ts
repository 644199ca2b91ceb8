/**
 * The training graph against tfjs for every objective lib/diffusion's trainingLosses has: the loss
 * and every parameter's gradient (tf.variableGrads through trainingLosses) from the same weights,
 * batch and noise, on a small UNet with random weights; and the trainer's checks of its inputs.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { planUNet, resolveUNetConfig, UNetModel, type UNetConfig } from "../../lib/models";
import { createGaussianDiffusion, gaussianDiffusion, getNamedBetaSchedule, type GaussianDiffusion } from "../../lib/diffusion";
import { trainingLosses } from "../../lib/diffusion/losses";
import { onnxTrainer, type TrainingBatch } from "../../lib/engine/onnx-trainer";
import { emitTrainingGraph } from "../../lib/engine/training-graph";
import { randomizeParams } from "./helpers";

beforeAll(async () => {
  await initBackend("wasm");
});

const N = 3;
const UNET: UNetConfig = {
  imageSize: 8,
  inChannels: 1,
  modelChannels: 32,
  outChannels: 2,
  numResBlocks: 1,
  attentionResolutions: [2],
  channelMult: [1, 2],
  numHeadChannels: 32,
  numClasses: 4,
  useScaleShiftNorm: true,
  resblockUpdown: true,
  useNewAttentionOrder: true,
};

/** x_0 with exact -1 and 1 pixels (the decoder's outer bins), t with a 0 (the decoder NLL) and the last step. */
function batchFor(d: GaussianDiffusion): TrainingBatch {
  const xStart = tf.tidy(() => tf.clipByValue(tf.randomNormal([N, 8, 8, 1], 0, 1.2, "float32", 5), -1, 1).dataSync() as Float32Array);
  return {
    xStart,
    noise: tf.tidy(() => tf.randomNormal([N, 8, 8, 1], 0, 1, "float32", 6).dataSync() as Float32Array),
    t: Int32Array.from([0, Math.floor(d.numTimesteps / 3), d.numTimesteps - 1]),
    y: Int32Array.from([3, 0, 2]),
    weights: Float32Array.from([0.5, 1, 2]),
  };
}

async function compare(name: string, d: GaussianDiffusion, outChannels: number): Promise<void> {
  const model = new UNetModel({ ...UNET, outChannels });
  randomizeParams(model, 17);
  const b = batchFor(d);
  const names = Array.from(model.params.keys());
  const vars = names.map((k) => model.params.get(k)!);
  const { value, grads } = tf.variableGrads(() => {
    const l = trainingLosses(d, model, tf.tensor4d(b.xStart, [N, 8, 8, 1]), tf.tensor1d(b.t!, "int32"), {
      noise: tf.tensor4d(b.noise!, [N, 8, 8, 1]),
      modelKwargs: { y: tf.tensor1d(b.y!, "int32") },
    });
    return l.loss.mul(tf.tensor1d(b.weights!)).mean() as tf.Scalar;
  }, vars);
  const trainer = await onnxTrainer({ kind: "diffusion", network: model.config, diffusion: d }, N, { threads: 1 });
  const r = await trainer.step(b, new Map(names.map((k) => [k, model.params.get(k)!.dataSync() as Float32Array])));
  await trainer.dispose();
  const loss = value.dataSync()[0];
  let scale = 0;
  let worst = 0;
  names.forEach((k, i) => {
    const ref = grads[vars[i].name].dataSync();
    const got = r.grads.get(k)!;
    expect(got).toBeDefined();
    for (let j = 0; j < ref.length; j++) {
      scale = Math.max(scale, Math.abs(ref[j]));
      worst = Math.max(worst, Math.abs(ref[j] - got[j]));
    }
  });
  console.log(`${name}: loss ${loss.toPrecision(7)} vs ${r.loss.toPrecision(7)}; gradients max |diff| ${worst.toExponential(2)} of ${scale.toExponential(2)}`);
  expect(r.grads.size).toBe(names.length);
  expect(Math.abs(r.loss - loss) / Math.abs(loss)).toBeLessThan(1e-5);
  expect(scale).toBeGreaterThan(1e-3);
  expect(worst).toBeLessThan(1e-4 * scale);
  tf.dispose([value, ...Object.values(grads)]);
  model.dispose();
}

describe("training graph = tf.variableGrads through trainingLosses (loss 1e-5, gradients 1e-4 of their largest)", () => {
  test("hybrid: eps-MSE + frozen-mean bound, learned range, rescaled (the course's)", () =>
    compare("hybrid", createGaussianDiffusion({ steps: 50, noiseSchedule: "cosine", learnSigma: true, rescaleLearnedSigmas: true }), 2));
  test("eps-MSE alone, fixed large variance", () => compare("mse", createGaussianDiffusion({ steps: 50 }), 1));
  test("rescaled KL alone, learned range (the mean trained by the bound)", () =>
    compare("rescaled kl", createGaussianDiffusion({ steps: 50, learnSigma: true, useKl: true }), 2));
  test("x_0 prediction, learned range, respaced and rescaled timesteps", () =>
    compare("start_x", createGaussianDiffusion({ steps: 100, learnSigma: true, predictXstart: true, rescaleTimesteps: true, timestepRespacing: "20" }), 2));
  test("x_{t-1} prediction, learned log-variance, KL", () =>
    compare(
      "previous_x",
      gaussianDiffusion(getNamedBetaSchedule("linear", 40), { modelMeanType: "previous_x", modelVarType: "learned", lossType: "kl", rescaleTimesteps: false }),
      2,
    ));
  test("fixed small variance, KL", () =>
    compare(
      "fixed_small kl",
      gaussianDiffusion(getNamedBetaSchedule("cosine", 40), { modelMeanType: "epsilon", modelVarType: "fixed_small", lossType: "kl", rescaleTimesteps: false }),
      1,
    ));
});

test("the trainer names what a batch lacks or has too much of, and the graph's dropout inputs", async () => {
  const d = createGaussianDiffusion({ steps: 20, learnSigma: true });
  const cfg = { ...UNET, dropout: 0.1 };
  const graph = emitTrainingGraph({ kind: "diffusion", network: cfg, diffusion: d }, N);
  // one mask per ResBlock, in the order the network runs them (input blocks, middle, output blocks)
  const plan = planUNet(resolveUNetConfig(cfg));
  const resblocks = [...plan.inputBlocks, plan.middleBlock, ...plan.outputBlocks]
    .flat()
    .filter((l) => l.kind === "resblock")
    .map((l) => (l as { name: string }).name);
  expect(resblocks.length).toBe(10); // 2 + 1 (BigGAN down) in, 2 middle, 4 + 1 (BigGAN up) out
  expect(graph.dropout.map((x) => x.block)).toEqual(resblocks);
  expect(graph.dropout[0].shape).toEqual([N, 8, 8, 32]);
  expect(graph.withGradient.length).toBe(graph.params.length);
  expect(() => emitTrainingGraph({ kind: "diffusion", network: cfg, diffusion: d }, 0)).toThrow(/batchSize must be a positive integer/);
  expect(() => emitTrainingGraph({ kind: "diffusion", network: { ...cfg, outChannels: 1 }, diffusion: d }, N)).toThrow(
    /outputs 1 channels, but modelVarType learned_range needs 2/,
  );
  const trainer = await onnxTrainer({ kind: "diffusion", network: cfg, diffusion: d }, N, { threads: 1 });
  const params = new Map(trainer.params.map((p) => [p.name, new Float32Array(p.shape.reduce((a, c) => a * c, 1))]));
  const b = batchFor(d);
  const keepAll = (_: string, shape: readonly number[]) => new Float32Array(shape.reduce((a, c) => a * c, 1)).fill(1);
  await expect(trainer.step({ ...b, noise: undefined }, params, keepAll)).rejects.toThrow(/needs noise/);
  await expect(trainer.step({ ...b, t: Int32Array.from([1, 2]) }, params, keepAll)).rejects.toThrow(/timesteps t must hold 3 values/);
  await expect(trainer.step({ ...b, xStart: b.xStart.subarray(64) }, params, keepAll)).rejects.toThrow(/x_start must hold 192 values \(batch 3\), got 128/);
  await expect(trainer.step(b, params)).rejects.toThrow(/the network has dropout; pass the masks/);
  params.delete("out.2.bias");
  await expect(trainer.step(b, params, keepAll)).rejects.toThrow(/no value for parameter out.2.bias/);
  await trainer.dispose();
  const clean = await onnxTrainer(
    {
      kind: "classifier",
      network: {
        imageSize: 8,
        inChannels: 1,
        modelChannels: 32,
        outChannels: 3,
        numResBlocks: 1,
        attentionResolutions: [],
        channelMult: [1],
        pool: "adaptive",
      },
      diffusion: null,
    },
    N,
    { threads: 1 },
  );
  const cp = new Map(clean.params.map((p) => [p.name, new Float32Array(p.shape.reduce((a, c) => a * c, 1))]));
  await expect(clean.step({ xStart: b.xStart, y: b.y, t: b.t }, cp)).rejects.toThrow(/the batch has timesteps t, which this objective does not read/);
  await clean.dispose();
});
