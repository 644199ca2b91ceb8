/**
 * The diffusion training task (guided-diffusion's TrainLoop.forward_backward): draw a batch, draw
 * timesteps from the schedule sampler with their importance weights, and minimise the weighted mean
 * of trainingLosses. Optional label dropout to a null class trains one network for classifier-free
 * guidance (Ho & Salimans 2022).
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionModel, GaussianDiffusion } from "../diffusion/gaussian-diffusion";
import { trainingLosses } from "../diffusion/losses";
import { randn, type Rng } from "../rng";
import { LossSecondMomentResampler, type ScheduleSampler } from "../diffusion/resample";
import { batchIndices } from "./seed";
import { gatherBatch, type ImageDataset } from "./dataset";
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

/** The task for {@link train}. */
export function diffusionTask(o: DiffusionTaskOptions): TrainingTask {
  const p = o.classDropout ?? 0;
  if (p > 0 && !o.classCond) throw new Error("diffusionTask: classDropout needs a class-conditional model (classCond true)");
  const nullClass = o.nullClass ?? o.data.numClasses;
  let last: { t: Float32Array | Int32Array; losses: Float32Array } | undefined;
  return {
    lossAt(step: number, rng: Rng): StepLoss {
      const { x, y } = gatherBatch(o.data, batchIndices({ n: o.data.n, batchSize: o.batchSize, seed: o.seed, step }));
      const { timesteps, weights } = o.sampler.sample(o.batchSize, rng);
      const noise = randn(x.shape, rng) as tf.Tensor4D;
      let labels: tf.Tensor1D | undefined;
      if (o.classCond) {
        const ys = y.dataSync() as Int32Array;
        const kept = Int32Array.from(ys, (v) => (rng.uniform() < p ? nullClass : v));
        labels = tf.tensor1d(kept, "int32");
      }
      const l = trainingLosses(o.diffusion, o.model, x, timesteps, { noise, modelKwargs: { y: labels } });
      last = { t: timesteps.dataSync() as Int32Array, losses: l.loss.dataSync() as Float32Array };
      const extras: Record<string, tf.Scalar> = {};
      if (l.mse) extras.mse = l.mse.mean();
      if (l.vb) extras.vb = l.vb.mean();
      return { loss: l.loss.mul(weights).mean() as tf.Scalar, extras };
    },
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
