/**
 * The diffusion training task (guided-diffusion's TrainLoop.forward_backward): draw a batch, draw
 * timesteps from the schedule sampler with their importance weights, and minimise the weighted mean
 * of trainingLosses. Optional label dropout to a null class trains one network for classifier-free
 * guidance (Ho & Salimans 2022).
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionModel, GaussianDiffusion } from "../diffusion/gaussian-diffusion";
import { trainingLosses } from "../diffusion/losses";
import { UNetModel } from "../models/index";
import { randn, type Rng } from "../rng";
import { LossSecondMomentResampler, type ScheduleSampler } from "../diffusion/resample";
import type { TrainingBatch } from "../engine/index";
import { batchIndices } from "./seed";
import { gatherArrays, type ImageDataset } from "./dataset";
import type { StepLoss, TrainingTask } from "./loop";

export interface DiffusionTaskOptions {
  diffusion: GaussianDiffusion;
  model: DiffusionModel;
  data: ImageDataset;
  batchSize: number;
  /** seed of the data order */
  seed: number;
  sampler: ScheduleSampler;
  /** pass labels to the model (a class-conditional model) */
  classCond: boolean;
  /** probability of replacing a label by `nullClass` (classifier-free guidance training); default 0 */
  classDropout?: number;
  /** the label meaning "no class" (the model needs numClasses + 1 label rows); default data.numClasses */
  nullClass?: number;
}

/** Read a tensor into a typed array and free it. */
function take<T extends Float32Array | Int32Array>(t: tf.Tensor): T {
  const data = t.dataSync() as T;
  t.dispose();
  return data;
}

/** The task for {@link train}; with a UNetModel it also runs on the engine (the same batches, as typed arrays). */
export function diffusionTask(o: DiffusionTaskOptions): TrainingTask {
  const p = o.classDropout ?? 0;
  if (p > 0 && !o.classCond) throw new Error("diffusionTask: classDropout needs a class-conditional model (classCond true)");
  const nullClass = o.nullClass ?? o.data.numClasses;
  let last: { t: Int32Array; losses: Float32Array } | undefined;
  /** batch `step`: its images, timesteps and weights, noise, and labels after label dropout, in this order from `rng` */
  const batchAt = (step: number, rng: Rng): TrainingBatch => {
    const { images, labels } = gatherArrays(o.data, batchIndices({ n: o.data.n, batchSize: o.batchSize, seed: o.seed, step }));
    const { timesteps, weights } = o.sampler.sample(o.batchSize, rng);
    const batch: TrainingBatch = {
      xStart: images,
      t: take<Int32Array>(timesteps),
      weights: take<Float32Array>(weights),
      noise: take<Float32Array>(randn([o.batchSize, ...o.data.shape], rng)),
    };
    if (o.classCond) batch.y = Int32Array.from(labels, (v) => (rng.uniform() < p ? nullClass : v));
    return batch;
  };
  const shape = [o.batchSize, ...o.data.shape] as [number, number, number, number];
  return {
    lossAt(step: number, rng: Rng): StepLoss {
      const b = batchAt(step, rng);
      const t = tf.tensor1d(b.t!, "int32");
      const l = trainingLosses(o.diffusion, o.model, tf.tensor4d(b.xStart, shape), t, {
        noise: tf.tensor4d(b.noise!, shape),
        modelKwargs: { y: b.y ? tf.tensor1d(b.y, "int32") : undefined },
      });
      last = { t: b.t!, losses: l.loss.dataSync() as Float32Array };
      const extras: Record<string, tf.Scalar> = {};
      if (l.mse) extras.mse = l.mse.mean();
      if (l.vb) extras.vb = l.vb.mean();
      return { loss: l.loss.mul(tf.tensor1d(b.weights!)).mean() as tf.Scalar, extras };
    },
    engine:
      o.model instanceof UNetModel
        ? {
            objective: { kind: "diffusion", network: o.model.config, diffusion: o.diffusion },
            batchSize: o.batchSize,
            batchAt,
            record: (batch, losses) => {
              last = { t: batch.t!, losses: losses! };
            },
          }
        : undefined,
    afterStep() {
      if (o.sampler instanceof LossSecondMomentResampler && last) o.sampler.updateWithAllLosses(last.t, last.losses);
    },
    saveState() {
      return o.sampler instanceof LossSecondMomentResampler ? o.sampler.saveState() : undefined;
    },
    loadState(state: unknown) {
      if (o.sampler instanceof LossSecondMomentResampler && state) o.sampler.loadState(state as { history: number[][]; counts: number[] });
    },
  };
}
