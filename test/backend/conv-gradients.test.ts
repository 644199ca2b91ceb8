// Conv2D forward, dx (Conv2DBackpropInput) and dW (Conv2DBackpropFilter) on patched wasm against the
// stock cpu kernels.
import * as tf from "@tensorflow/tfjs";
import { initCpuAndWasm, runOn, seededTensor } from "../helpers/backends";
import { maxRelErr } from "../helpers/close";

type Pad = "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];

const CASES: [string, number[], number[], number, Pad][] = [
  ["3x3 s1 same", [2, 8, 8, 3], [3, 3, 3, 5], 1, "same"],
  ["3x3 s2 same", [2, 8, 8, 3], [3, 3, 3, 5], 2, "same"],
  ["odd 3x3 s2 same", [2, 9, 7, 4], [3, 3, 4, 6], 2, "same"],
  ["odd 3x3 s2 valid", [2, 9, 7, 4], [3, 3, 4, 6], 2, "valid"],
  ["3x3 s1 valid", [3, 10, 10, 4], [3, 3, 4, 2], 1, "valid"],
  ["1x1 s1 same", [2, 8, 8, 3], [1, 1, 3, 4], 1, "same"],
  ["1x1 s2 valid (skipped rows)", [2, 9, 8, 3], [1, 1, 3, 4], 2, "valid"],
  ["4x4 s2 same", [2, 8, 8, 3], [4, 4, 3, 4], 2, "same"],
  ["5x5 s3 same", [2, 11, 10, 3], [5, 5, 3, 4], 3, "same"],
  [
    "3x3 s2 explicit, pad > k-1",
    [2, 9, 9, 3],
    [3, 3, 3, 4],
    2,
    [
      [0, 0],
      [3, 1],
      [0, 4],
      [0, 0],
    ],
  ],
];

beforeAll(initCpuAndWasm);

test("the wasm backend has our conv gradient kernels", () => {
  expect(tf.getKernel("Conv2DBackpropFilter", "wasm")?.kernelFunc.name).toBe("conv2dBackpropFilterWasm");
  expect(tf.getKernel("Conv2DBackpropInput", "wasm")?.kernelFunc.name).toBe("conv2dBackpropInputWasm");
});

test.each(CASES)("%s: y, dx, dW match cpu to 1e-4", async (_name, xShape, wShape, stride, pad) => {
  const run = () => {
    const x = seededTensor(xShape, 1) as tf.Tensor4D;
    const w = seededTensor(wShape, 2) as tf.Tensor4D;
    // A non-uniform dy (from the squared output) exercises every output position differently.
    const loss = (xx: tf.Tensor, ww: tf.Tensor) =>
      tf
        .conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, stride, pad)
        .square()
        .sum();
    const [dx, dw] = tf.grads(loss)([x, w]);
    return [tf.conv2d(x, w, stride, pad), dx, dw];
  };
  const cpu = await runOn("cpu", run);
  const wasm = await runOn("wasm", run);
  expect(wasm[1].length).toBe(tf.util.sizeFromShape(xShape));
  expect(wasm[2].length).toBe(tf.util.sizeFromShape(wShape));
  for (let i = 0; i < 3; i++) expect(maxRelErr(wasm[i], cpu[i])).toBeLessThan(1e-4);
});
