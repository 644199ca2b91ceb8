import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { AdmInputError } from "../../lib/io/errors";
import { writeNpz } from "../../lib/io/npz";
import { readReferenceBatch, writeReferenceBatch } from "../../lib/metrics/reference-batch";

describe("reference batches (.npz in ADM's layout)", () => {
  const dir = mkdtempSync(join(tmpdir(), "refbatch-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("round trip of images and both statistics", () => {
    const path = join(dir, "ref.npz");
    const images = { data: Uint8Array.from({ length: 2 * 3 * 3 * 3 }, (_, i) => i * 5), shape: [2, 3, 3, 3] as [number, number, number, number] };
    const stats = { mu: Float64Array.from([1.5, -2]), sigma: Float64Array.from([2, 0.1, 0.1, 3]) };
    const spatialStats = { mu: Float64Array.from([0.25]), sigma: Float64Array.from([4]) };
    writeReferenceBatch(path, { images, stats, spatialStats });
    const back = readReferenceBatch(path);
    expect(back.images?.shape).toEqual([2, 3, 3, 3]);
    expect(Array.from(back.images!.data)).toEqual(Array.from(images.data));
    expect(Array.from(back.stats!.mu)).toEqual([1.5, -2]);
    expect(Array.from(back.stats!.sigma)).toEqual([2, 0.1, 0.1, 3]);
    expect(Array.from(back.spatialStats!.sigma)).toEqual([4]);
  });

  test("grey [n, h, w] images get a channel axis; labels in arr_1 are ignored", () => {
    const path = join(dir, "samples.npz");
    writeNpz(path, {
      arr_0: { dtype: "uint8", shape: [2, 2, 2], data: new Uint8Array(8) },
      arr_1: { dtype: "int64", shape: [2], data: new BigInt64Array(2) },
    });
    const back = readReferenceBatch(path);
    expect(back.images?.shape).toEqual([2, 2, 2, 1]);
    expect(back.stats).toBeUndefined();
  });

  test("bad files are errors naming the file and key", () => {
    const floats = join(dir, "floats.npz");
    writeNpz(floats, { arr_0: { dtype: "float32", shape: [1, 1, 1, 1], data: new Float32Array(1) } });
    expect(() => readReferenceBatch(floats)).toThrow(`${floats}: arr_0 has dtype float32; expected uint8`);
    const half = join(dir, "half.npz");
    writeNpz(half, { mu: { dtype: "float64", shape: [1], data: new Float64Array(1) } });
    expect(() => readReferenceBatch(half)).toThrow(`${half}: has mu but not sigma`);
    const empty = join(dir, "empty.npz");
    writeNpz(empty, { other: { dtype: "float64", shape: [1], data: new Float64Array(1) } });
    expect(() => readReferenceBatch(empty)).toThrow(/no arr_0 \(images\) and no mu\/sigma .* keys are other/);
    const nan = join(dir, "nan.npz");
    writeNpz(nan, {
      mu: { dtype: "float64", shape: [2], data: Float64Array.from([0, NaN]) },
      sigma: { dtype: "float64", shape: [2, 2], data: new Float64Array(4) },
    });
    expect(() => readReferenceBatch(nan)).toThrow(`${nan}: mu[1] is NaN; statistics must be finite (at array mu)`);
    const four = join(dir, "four.npz");
    writeNpz(four, { arr_0: { dtype: "uint8", shape: [1, 2, 2, 4], data: new Uint8Array(16) } });
    expect(() => readReferenceBatch(four)).toThrow(/four\.npz: arr_0 has shape \[1,2,2,4\]; expected NHWC .* 1 or 3 channels/);
    for (const path of [floats, half, empty, nan, four]) expect(() => readReferenceBatch(path)).toThrow(AdmInputError);
  });
});
