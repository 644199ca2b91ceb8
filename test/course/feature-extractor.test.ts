/**
 * The course's FID feature network: the committed clean classifier, with 28x28 images padded to its
 * 32x32 input with background (-1). Checked against the network called directly on padded images.
 */
import * as tf from "@tensorflow/tfjs";
import { resolve } from "path";
import { initBackend } from "../../lib/backend";
import { courseFeatureExtractor } from "../../lib/course/feature-extractor";
import { loadTrainedClassifier } from "../../lib/course/trained-model";

const MODELS = resolve(__dirname, "../../models");

beforeAll(async () => {
  await initBackend("wasm");
});

describe("courseFeatureExtractor", () => {
  it("pads 28x28 images with background and returns the classifier's pooled features and softmax", () => {
    const extractor = courseFeatureExtractor(resolve(MODELS, "fashion-features"));
    const { net } = loadTrainedClassifier(resolve(MODELS, "fashion-features"));
    const x28 = tf.randomUniform([3, 28, 28, 1], -1, 1, "float32", 5) as tf.Tensor4D;
    const got = extractor.all!(x28);
    // the same images padded by hand: 2 background rows and columns on each side
    const x32 = tf.pad(
      x28,
      [
        [0, 0],
        [2, 2],
        [2, 2],
        [0, 0],
      ],
      -1,
    );
    const t = tf.zeros([3], "int32") as tf.Tensor1D;
    const features = net.features(x32, t);
    const probs = tf.softmax(net.forward(x32, t));
    const gap = (a: tf.Tensor, b: tf.Tensor): number => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    expect(got.pooled.shape).toEqual(features.shape);
    expect(got.probs!.shape).toEqual([3, 10]);
    expect(gap(got.pooled, features)).toBeLessThan(1e-5);
    expect(gap(got.probs!, probs)).toBeLessThan(1e-6);
    // padding with 0 instead of background changes the features, so the check above is not vacuous
    expect(
      gap(
        net.features(
          tf.pad(
            x28,
            [
              [0, 0],
              [2, 2],
              [2, 2],
              [0, 0],
            ],
            0,
          ),
          t,
        ),
        features,
      ),
    ).toBeGreaterThan(1e-3);
    net.dispose();
  });

  it("refuses a noisy classifier and images larger than the network", () => {
    expect(() => courseFeatureExtractor(resolve(MODELS, "fashion-classifier"))).toThrow(/is a noisy classifier; FID features need one trained on clean images/);
    const extractor = courseFeatureExtractor(resolve(MODELS, "fashion-features"));
    expect(() => extractor.all!(tf.zeros([1, 40, 40, 1]) as tf.Tensor4D)).toThrow(/images are 40x40, larger than the network's 32x32/);
  });
});
