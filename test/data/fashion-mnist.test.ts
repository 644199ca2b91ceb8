import { existsSync, mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import {
  loadFashionMnist,
  toSignedImages,
  DEBIAN_FASHION_DIR,
  FASHION_CLASSES,
  FETCHED_FASHION_DIR,
  LabeledImages,
  SUBSET_FASHION_DIR,
} from "../../lib/data/fashion-mnist";

const FILES = { train: "train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]", test: "t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]" };

/** Both splits' four IDX files (gzipped or not) are in dir. */
function hasSplits(dir: string): boolean {
  return ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"].every(
    (f) => existsSync(join(dir, f)) || existsSync(join(dir, f + ".gz")),
  );
}

/** Run f with ADM_FASHION_MNIST unset, so that the default search order is the one under test. */
function withoutEnv<T>(f: () => T): T {
  const saved = process.env.ADM_FASHION_MNIST;
  delete process.env.ADM_FASHION_MNIST;
  try {
    return f();
  } finally {
    if (saved !== undefined) process.env.ADM_FASHION_MNIST = saved;
  }
}

describe("Fashion-MNIST", () => {
  it("loads the committed subset: 10,000 train and 2,000 test images with all 10 classes", () => {
    const train = loadFashionMnist("train", { subset: true });
    const test = loadFashionMnist("test", { subset: true });
    expect([train.n, train.height, train.width, train.images.length]).toEqual([10000, 28, 28, 10000 * 784]);
    expect(test.n).toBe(2000);
    const counts = new Array(10).fill(0);
    train.labels.forEach((l) => counts[l]++);
    // Fashion-MNIST is balanced: each class is about a tenth of any large prefix.
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(100);
    expect(FASHION_CLASSES).toHaveLength(10);
  });

  // Debian's package is on some machines only; the test checks it where it is and, where it is not,
  // that the loader reports it missing and falls back to the committed subset. Its name says which.
  const debian = hasSplits(DEBIAN_FASHION_DIR);
  it(
    debian
      ? "Debian's package is installed: its first 10,000 train and 2,000 test images and labels are the committed subset"
      : "Debian's package is absent: loading from its directory names it, and the default search falls back to the committed subset",
    () => {
      for (const [split, n] of [
        ["train", 10000],
        ["test", 2000],
      ] as const) {
        const sub = loadFashionMnist(split, { subset: true });
        expect([split, sub.n, sub.source]).toEqual([split, n, SUBSET_FASHION_DIR]);
        let found: LabeledImages;
        if (debian) {
          found = loadFashionMnist(split, { dir: DEBIAN_FASHION_DIR, limit: n });
          expect(found.n).toBe(n);
        } else {
          expect(() => loadFashionMnist(split, { dir: DEBIAN_FASHION_DIR })).toThrow(
            `${DEBIAN_FASHION_DIR}: Fashion-MNIST ${split} split not found (looked for ${FILES[split]} in each directory)`,
          );
          found = withoutEnv(() => loadFashionMnist(split));
          // datasets/fashion-mnist-full (npm run fetch-data) comes before the subset when it is there
          expect(found.source).toBe(hasSplits(FETCHED_FASHION_DIR) ? FETCHED_FASHION_DIR : SUBSET_FASHION_DIR);
          found = { ...found, images: found.images.subarray(0, n * 784), labels: found.labels.subarray(0, n) };
        }
        expect([split, Buffer.compare(Buffer.from(found.images), Buffer.from(sub.images))]).toEqual([split, 0]);
        expect([split, Buffer.compare(Buffer.from(found.labels), Buffer.from(sub.labels))]).toEqual([split, 0]);
      }
    },
  );

  it("explains where it looked when the data are missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "fm-"));
    expect(() => loadFashionMnist("train", { dir })).toThrow(/not found .*apt-get install dataset-fashion-mnist/);
  });

  it("scales to [-1, 1] and pads with background", () => {
    const data = { images: new Uint8Array([0, 255, 51, 204]), labels: new Uint8Array([1]), n: 1, height: 2, width: 2, source: "" };
    const x = toSignedImages(data, 4);
    expect(x.length).toBe(16);
    expect(Array.from(x.subarray(4, 8)).map((v) => +v.toFixed(4))).toEqual([-1, -1, 1, -1]);
    expect(Array.from(x.subarray(8, 12)).map((v) => +v.toFixed(4))).toEqual([-1, -0.6, 0.6, -1]);
    expect(x[0]).toBe(-1);
    expect(() => toSignedImages(data, 1)).toThrow(/smaller than the images/);
  });
});
