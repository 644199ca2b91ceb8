/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; MIT licence, (c) Zalando SE): 28x28 grey images of
 * clothes in 10 classes, 60,000 for training and 10,000 for testing.
 *
 * Sources, in order: a directory given by the caller or by ADM_FASHION_MNIST; datasets/fashion-mnist-full
 * (written by `npm run fetch-data`); Debian's `dataset-fashion-mnist` package; the subset committed under
 * datasets/fashion-mnist (10,000 train, 2,000 test) so that every notebook runs offline.
 */
import { existsSync } from "fs";
import { join, resolve } from "path";
import { isCount, refuse } from "../io/errors";
import { readIdx } from "./idx";

export const FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

export const DEBIAN_FASHION_DIR = "/usr/share/datasets/fashion-mnist";
export const SUBSET_FASHION_DIR = resolve(__dirname, "../../datasets/fashion-mnist");
export const FETCHED_FASHION_DIR = resolve(__dirname, "../../datasets/fashion-mnist-full");

export interface LabeledImages {
  /** uint8 pixels, n x 28 x 28, row-major (0 = background) */
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  height: number;
  width: number;
  /** the directory the files came from */
  source: string;
}

export type Split = "train" | "test";

const FILES: Record<Split, [string, string]> = {
  train: ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"],
  test: ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
};

function findFile(dir: string, stem: string): string | undefined {
  for (const name of [stem + ".gz", stem]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The directories searched for a split, in order. */
export function fashionMnistDirs(dir?: string): string[] {
  const dirs: string[] = [];
  if (dir) return [dir];
  if (process.env.ADM_FASHION_MNIST) dirs.push(process.env.ADM_FASHION_MNIST);
  dirs.push(FETCHED_FASHION_DIR, DEBIAN_FASHION_DIR, SUBSET_FASHION_DIR);
  return dirs;
}

export interface LoadOptions {
  /** read from this directory only (IDX files, .gz or not, with the original names) */
  dir?: string;
  /** keep only the first `limit` examples */
  limit?: number;
  /** use the committed subset even when the full set is installed (reproducible course runs) */
  subset?: boolean;
}

/** Load a Fashion-MNIST split. Errors name the files and directories tried and how to get the data. */
export function loadFashionMnist(split: Split, opts: LoadOptions = {}): LabeledImages {
  if (split !== "train" && split !== "test") throw new Error(`loadFashionMnist: split must be "train" or "test", got ${JSON.stringify(split)}`);
  if (opts.limit !== undefined && !isCount(opts.limit)) throw new Error(`loadFashionMnist: limit must be a non-negative integer, got ${opts.limit}`);
  const dirs = opts.subset ? [SUBSET_FASHION_DIR] : fashionMnistDirs(opts.dir);
  const [imgStem, lblStem] = FILES[split];
  for (const dir of dirs) {
    const imgPath = findFile(dir, imgStem),
      lblPath = findFile(dir, lblStem);
    if (!imgPath || !lblPath) continue;
    const img = readIdx(imgPath),
      lbl = readIdx(lblPath);
    const redo = "the pair is not Fashion-MNIST as published: run 'npm run fetch-data' or reinstall dataset-fashion-mnist";
    if (img.dims.length !== 3) refuse(imgPath, "dims", `expected 3 dims [n, 28, 28], got [${img.dims}]`, redo);
    if (img.dims[1] === 0 || img.dims[2] === 0) refuse(imgPath, "dims", `images of ${img.dims[1]}x${img.dims[2]} pixels`, redo);
    if (lbl.dims.length !== 1) refuse(lblPath, "dims", `expected 1 dim [n], got [${lbl.dims}]`, redo);
    if (img.dims[0] !== lbl.dims[0]) {
      refuse(imgPath, "dims", `${imgPath} has ${img.dims[0]} images but ${lblPath} has ${lbl.dims[0]} labels; the pair does not match`, redo);
    }
    for (let i = 0; i < lbl.data.length; i++) {
      if (lbl.data[i] > 9) refuse(lblPath, `label ${i}`, `label ${lbl.data[i]} at index ${i} is not a Fashion-MNIST class (0-9)`, redo);
    }
    const n = Math.min(img.dims[0], opts.limit ?? Infinity);
    const [, h, w] = img.dims;
    return { images: img.data.subarray(0, n * h * w), labels: lbl.data.subarray(0, n), n, height: h, width: w, source: dir };
  }
  return refuse(
    dirs.join(", "),
    `${imgStem}[.gz] and ${lblStem}[.gz]`,
    `Fashion-MNIST ${split} split not found (looked for ${imgStem}[.gz] and ${lblStem}[.gz] in each directory)`,
    "install it with 'apt-get install dataset-fashion-mnist', run 'npm run fetch-data', or set ADM_FASHION_MNIST=<dir>",
  );
}

/**
 * Convert uint8 images to float32 NHWC in [-1, 1] (the library's convention), optionally padded with
 * background (-1) to `size` x `size` (ADM-style models want a power-of-two side, e.g. 32).
 */
export function toSignedImages(data: LabeledImages, size = data.width): Float32Array {
  const { n, height: h, width: w } = data;
  if (size < h || size < w) throw new Error(`toSignedImages: size ${size} is smaller than the images (${h}x${w})`);
  const top = Math.floor((size - h) / 2),
    left = Math.floor((size - w) / 2);
  const out = new Float32Array(n * size * size).fill(-1);
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        out[(k * size + y + top) * size + x + left] = data.images[(k * h + y) * w + x] / 127.5 - 1;
      }
    }
  }
  return out;
}
