/**
 * An in-memory image data set for training: NHWC float32 images in [-1, 1] and integer labels.
 */
import * as tf from "@tensorflow/tfjs";
import { loadFashionMnist, toSignedImages, type LoadOptions, type Split } from "../data/fashion-mnist";

export interface ImageDataset {
  /** n * height * width * channels values in [-1, 1] */
  images: Float32Array;
  labels: Int32Array;
  n: number;
  /** [height, width, channels] */
  shape: [number, number, number];
  numClasses: number;
  name: string;
}

/** Fashion-MNIST as an ImageDataset, padded with background to `size` (32 suits ADM's power-of-two levels). */
export function fashionMnistDataset(split: Split, size = 32, opts: LoadOptions = {}): ImageDataset {
  const raw = loadFashionMnist(split, opts);
  return {
    images: toSignedImages(raw, size),
    labels: Int32Array.from(raw.labels),
    n: raw.n,
    shape: [size, size, 1],
    numClasses: 10,
    name: `fashion-mnist-${split}${raw.n < (split === "train" ? 60000 : 10000) ? `-${raw.n}` : ""}`,
  };
}

/** Gather the examples at `indices`: their images (NHWC, row-major) and labels as typed arrays. */
export function gatherArrays(data: ImageDataset, indices: ArrayLike<number>): { images: Float32Array; labels: Int32Array } {
  const [h, w, c] = data.shape;
  const per = h * w * c;
  const images = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (k < 0 || k >= data.n) throw new Error(`gatherBatch: index ${k} outside the data set of ${data.n} examples`);
    images.set(data.images.subarray(k * per, (k + 1) * per), i * per);
    labels[i] = data.labels[k];
  }
  return { images, labels };
}

/** Gather the examples at `indices` into an [N, H, W, C] tensor and an int32 label tensor. */
export function gatherBatch(data: ImageDataset, indices: ArrayLike<number>): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const { images, labels } = gatherArrays(data, indices);
  return { x: tf.tensor4d(images, [indices.length, ...data.shape]), y: tf.tensor1d(labels, "int32") };
}
