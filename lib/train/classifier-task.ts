/**
 * The noisy-classifier task (guided-diffusion's classifier_train.py): draw a batch, draw t uniformly,
 * noise the images to x_t with q_sample, and minimise the cross-entropy of p_phi(y | x_t, t).
 * With `noised: false` it trains an ordinary classifier on clean images (t = 0, no noise).
 */
import * as tf from "@tensorflow/tfjs";
import { qSample, type GaussianDiffusion, type NoisyClassifier } from "../diffusion/index";
import { EncoderUNetModel } from "../models/index";
import { randn, type Rng } from "../rng";
import type { TrainingBatch } from "../engine/index";
import { batchIndices } from "./seed";
import { gatherArrays, gatherBatch, type ImageDataset } from "./dataset";
import type { StepLoss, TrainingTask } from "./loop";

export interface ClassifierTaskOptions {
  /** anything mapping (x, t) to logits [N, K]; t is all zeros for clean images */
  classifier: NoisyClassifier;
  data: ImageDataset;
  batchSize: number;
  seed: number;
  /** the diffusion whose q_sample noises the inputs; omit for clean images */
  diffusion?: GaussianDiffusion;
}

/** The task for {@link train}; extras report the batch accuracy. With an EncoderUNetModel it also runs on the engine. */
export function classifierTask(o: ClassifierTaskOptions): TrainingTask {
  const shape = [o.batchSize, ...o.data.shape] as [number, number, number, number];
  /** batch `step`: its images and labels, and for noised inputs t uniform over the timesteps, then the noise */
  const batchAt = (step: number, rng: Rng): TrainingBatch => {
    const { images, labels } = gatherArrays(o.data, batchIndices({ n: o.data.n, batchSize: o.batchSize, seed: o.seed, step }));
    const batch: TrainingBatch = { xStart: images, y: labels };
    if (o.diffusion) {
      const T = o.diffusion.numTimesteps;
      batch.t = Int32Array.from({ length: o.batchSize }, () => Math.floor(rng.uniform() * T));
      const noise = randn(shape, rng);
      batch.noise = noise.dataSync() as Float32Array;
      noise.dispose();
    }
    return batch;
  };
  return {
    lossAt(step: number, rng: Rng): StepLoss {
      const b = batchAt(step, rng);
      const x = tf.tensor4d(b.xStart, shape);
      const y = tf.tensor1d(b.y!, "int32");
      const t = b.t ? tf.tensor1d(b.t, "int32") : (tf.zeros([o.batchSize], "int32") as tf.Tensor1D);
      const xt = o.diffusion ? qSample(o.diffusion, x, t, tf.tensor4d(b.noise!, shape)) : x;
      const logits = o.classifier.forward(xt, t);
      const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(y, logits.shape[1]), logits) as tf.Scalar;
      const acc = logits.argMax(1).equal(y).mean() as tf.Scalar;
      return { loss, extras: { accuracy: acc } };
    },
    engine:
      o.classifier instanceof EncoderUNetModel
        ? { objective: { kind: "classifier", network: o.classifier.config, diffusion: o.diffusion ?? null }, batchSize: o.batchSize, batchAt }
        : undefined,
  };
}

/**
 * Accuracy of a classifier on x_t per timestep bucket: for each of `buckets` equal ranges of t, the
 * fraction of `data` (noised at a t drawn in that range) classified correctly.
 */
export function accuracyByTimestep(
  classifier: NoisyClassifier,
  diffusion: GaussianDiffusion,
  data: ImageDataset,
  opts: { buckets?: number; batchSize?: number; seed?: number } = {},
): { tCenter: number[]; accuracy: number[] } {
  const buckets = opts.buckets ?? 10,
    bs = opts.batchSize ?? 100,
    T = diffusion.numTimesteps;
  const tCenter: number[] = [],
    accuracy: number[] = [];
  let seed = opts.seed ?? 0;
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * T) / buckets),
      hi = Math.floor(((b + 1) * T) / buckets);
    let correct = 0;
    for (let start = 0; start < data.n; start += bs) {
      const idx = Int32Array.from({ length: Math.min(bs, data.n - start) }, (_, i) => start + i);
      correct += tf.tidy(() => {
        const { x, y } = gatherBatch(data, idx);
        const t = tf.tensor1d(
          Int32Array.from(idx, (_, i) => lo + ((i * 7919 + b) % (hi - lo))),
          "int32",
        );
        const xt = qSample(diffusion, x, t, tf.randomNormal(x.shape, 0, 1, "float32", seed++) as tf.Tensor4D);
        return classifier.forward(xt, t).argMax(1).equal(y).sum().dataSync()[0];
      });
    }
    tCenter.push((lo + hi - 1) / 2);
    accuracy.push(correct / data.n);
  }
  return { tCenter, accuracy };
}

/** The class `classifier` assigns to each of `images` ([N, H, W, C] in [-1, 1]) at t = 0 (clean images). */
export function predictClean(classifier: NoisyClassifier, images: tf.Tensor4D, batchSize = 200): Int32Array {
  const n = images.shape[0];
  const out = new Int32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    out.set(
      tf.tidy(
        () =>
          classifier
            .forward(images.slice([start, 0, 0, 0], [m, -1, -1, -1]), tf.zeros([m], "int32") as tf.Tensor1D)
            .argMax(1)
            .dataSync() as Int32Array,
      ),
      start,
    );
  }
  return out;
}

/** Fraction of `images` ([N, H, W, C] in [-1, 1]) that `classifier` assigns to `labels`, at t = 0 (clean images). */
export function cleanAccuracy(classifier: NoisyClassifier, images: tf.Tensor4D, labels: ArrayLike<number>, batchSize = 200): number {
  const n = images.shape[0];
  if (labels.length !== n) throw new Error(`cleanAccuracy: ${n} images but ${labels.length} labels`);
  const predicted = predictClean(classifier, images, batchSize);
  let correct = 0;
  for (let k = 0; k < n; k++) if (predicted[k] === labels[k]) correct++;
  return correct / n;
}
