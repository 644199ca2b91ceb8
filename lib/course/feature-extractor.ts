/**
 * The Fashion-MNIST feature network for FID-style metrics on the course data (as the fast.ai course
 * does for its Fashion-MNIST diffusion models): a classifier trained on clean images, whose pooled
 * penultimate activations are the features and whose logits give class probabilities (IS, and the
 * "is this sample the requested class" check).
 */
import * as tf from "@tensorflow/tfjs";
import { modelFeatureExtractor } from "../metrics/extractors";
import type { FeatureExtractor } from "../metrics/feature-extractor";
import { loadTrainedClassifier } from "./trained-model";

/** Pad 28x28 images with background (-1) to the network's 32x32; pass 32x32 through. */
function toNetworkSize(x: tf.Tensor4D, size: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h === size && w === size) return x;
  if (h > size || w > size) throw new Error(`course features: images are ${h}x${w}, larger than the network's ${size}x${size}`);
  const top = Math.floor((size - h) / 2),
    left = Math.floor((size - w) / 2);
  return tf.pad(
    x,
    [
      [0, 0],
      [top, size - h - top],
      [left, size - w - left],
      [0, 0],
    ],
    -1,
  );
}

/** A FeatureExtractor from a clean classifier trained by `adm-ts train --config fashion-features`. */
export function courseFeatureExtractor(dir: string): FeatureExtractor {
  const { net, noised } = loadTrainedClassifier(dir);
  if (noised) throw new Error(`${dir} is a noisy classifier; FID features need one trained on clean images (--config fashion-features)`);
  const size = net.config.imageSize;
  return modelFeatureExtractor(
    (x: tf.Tensor4D) => {
      const xs = toNetworkSize(x, size);
      const t = tf.zeros([xs.shape[0]], "int32") as tf.Tensor1D;
      return { features: net.features(xs, t), logits: net.forward(xs, t) };
    },
    { name: `course-features:${dir}` },
  );
}
