/**
 * The fixed stand-in model and classifier of test/fixtures/diffusion/make_golden.py, implemented
 * identically in NHWC, with helpers to compare tensors against the golden arrays.
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionModel, NoisyClassifier } from "../../lib/diffusion";

/** out = tanh(x W^T + b + a t / 1000) per pixel. */
export function standInModel(p: { w: number[][]; b: number[]; a: number[] }): DiffusionModel {
  return {
    forward(x, t) {
      return tf.tidy(() => {
        const [n, h, w, c] = x.shape;
        const lin = tf.matMul(x.reshape([-1, c]), tf.tensor2d(p.w), false, true).reshape([n, h, w, p.w.length]);
        const tt = t.toFloat().div(1000).reshape([-1, 1, 1, 1]);
        return tf.tanh(lin.add(tf.tensor1d(p.b)).add(tf.tensor1d(p.a).mul(tt))) as tf.Tensor4D;
      });
    },
  };
}

/** logits = 3 mean_hw tanh(x W^T) + b t / 1000. */
export function standInClassifier(p: { w: number[][]; b: number[] }): NoisyClassifier {
  return {
    forward(x, t) {
      return tf.tidy(() => {
        const [n, h, w, c] = x.shape;
        const feat = tf
          .tanh(tf.matMul(x.reshape([-1, c]), tf.tensor2d(p.w), false, true))
          .reshape([n, h * w, p.w.length])
          .mean(1)
          .mul(3);
        return feat.add(tf.tensor1d(p.b).mul(t.toFloat().div(1000).reshape([-1, 1]))) as tf.Tensor2D;
      });
    },
  };
}

/**
 * Largest |a - b| / max(1, |b|) over a tensor and a nested golden array: absolute error for values up
 * to 1, relative beyond (float32 carries ~7 digits, so an unclipped x_0 prediction of 150 is good to 1e-5).
 */
export function maxErr(a: tf.Tensor, golden: unknown): number {
  const want = (golden as number[]).flat(4) as number[];
  const got = a.dataSync();
  if (got.length !== want.length) throw new Error(`size ${got.length} != golden size ${want.length}`);
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return m;
}
