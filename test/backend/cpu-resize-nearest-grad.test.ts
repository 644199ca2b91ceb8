// The cpu ResizeNearestNeighborGrad fix, against independent computations.
import * as tf from "@tensorflow/tfjs";
import { initCpuAndWasm, runOn, seededTensor, seededValues } from "../helpers/backends";
import { maxRelErr } from "../helpers/close";

beforeAll(initCpuAndWasm);

/** Gradient of sum(dy * resizeNearest(x)) with respect to x, i.e. the kernel applied to dy. */
function resizeGrad(xShape: number[], size: [number, number], dy: tf.Tensor, alignCorners = false, halfPixelCenters = false): tf.Tensor {
  const f = (x: tf.Tensor) =>
    tf.image
      .resizeNearestNeighbor(x as tf.Tensor4D, size, alignCorners, halfPixelCenters)
      .mul(dy)
      .sum();
  return tf.grad(f)(tf.zeros(xShape));
}

test("the batch-2 repro from backends.md gives the true sum-pool", async () => {
  const [dx] = await runOn("cpu", () => [resizeGrad([2, 2, 2, 1], [4, 4], tf.range(0, 32).reshape([2, 4, 4, 1]))]);
  // second image: dy = 16..31 in a 4x4 grid; each 2x2 block sums to 4*top-left + 1 + 4 + 5
  expect(Array.from(dx)).toEqual([10, 18, 42, 50, 74, 82, 106, 114]);
});

test("2x upsampling: the gradient is a 2x2 sum-pool of dy", async () => {
  const [b, h, w, c] = [3, 4, 5, 2];
  const dyValues = seededValues(b * 2 * h * 2 * w * c, 7);
  const [dx] = await runOn("cpu", () => [resizeGrad([b, h, w, c], [2 * h, 2 * w], tf.tensor4d(dyValues, [b, 2 * h, 2 * w, c]))]);
  const expected = new Float32Array(b * h * w * c);
  const at = (bi: number, y: number, x: number, ci: number) => dyValues[((bi * 2 * h + y) * 2 * w + x) * c + ci];
  for (let bi = 0; bi < b; bi++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ci = 0; ci < c; ci++) {
          expected[((bi * h + y) * w + x) * c + ci] =
            at(bi, 2 * y, 2 * x, ci) + at(bi, 2 * y, 2 * x + 1, ci) + at(bi, 2 * y + 1, 2 * x, ci) + at(bi, 2 * y + 1, 2 * x + 1, ci);
        }
  expect(maxRelErr(dx, expected)).toBeLessThan(1e-6);
});

// [name, x shape, output size, alignCorners, halfPixelCenters]
const ADJOINT_CASES: [string, number[], [number, number], boolean, boolean][] = [
  ["3x", [2, 3, 4, 2], [9, 12], false, false],
  ["odd, shrink one axis", [2, 5, 7, 3], [8, 4], false, false],
  ["alignCorners", [2, 5, 6, 1], [9, 11], true, false],
  ["halfPixelCenters", [3, 4, 5, 2], [7, 9], false, true],
];

test.each(ADJOINT_CASES)("%s: <dy, resize(x)> = <grad(dy), x> with the stock forward kernel", async (_n, xShape, size, ac, hp) => {
  const outShape = [xShape[0], size[0], size[1], xShape[3]];
  const [lhs, rhs] = await runOn("cpu", () => {
    const x = seededTensor(xShape, 8);
    const dy = seededTensor(outShape, 9);
    const forward = tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, ac, hp);
    return [forward.mul(dy).sum(), resizeGrad(xShape, size, dy, ac, hp).mul(x).sum()];
  });
  expect(Math.abs(lhs[0] - rhs[0])).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhs[0])));
});

test("cpu (fixed) and wasm agree on a batch-3 odd-size gradient", async () => {
  const run = () => [resizeGrad([3, 5, 6, 2], [10, 12], seededTensor([3, 10, 12, 2], 10))];
  const cpu = await runOn("cpu", run);
  const wasm = await runOn("wasm", run);
  expect(maxRelErr(cpu[0], wasm[0])).toBeLessThan(1e-6);
});
