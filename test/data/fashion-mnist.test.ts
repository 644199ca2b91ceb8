import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { loadFashionMnist, toSignedImages, FASHION_CLASSES } from "../../lib/data/fashion-mnist";

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

  it("matches the full set's first images when Debian's package is installed", () => {
    const full = loadFashionMnist("test", { dir: "/usr/share/datasets/fashion-mnist", limit: 2000 });
    const sub = loadFashionMnist("test", { subset: true });
    expect(Buffer.compare(Buffer.from(full.images), Buffer.from(sub.images))).toBe(0);
    expect(Buffer.compare(Buffer.from(full.labels), Buffer.from(sub.labels))).toBe(0);
  });

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
