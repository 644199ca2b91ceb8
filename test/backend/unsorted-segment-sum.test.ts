// UnsortedSegmentSum on wasm (the gradient of tf.gather), against a direct sum and the cpu backend.
import * as tf from "@tensorflow/tfjs";
import { initCpuAndWasm, runOn, seededTensor } from "../helpers/backends";
import { maxRelErr } from "../helpers/close";

beforeAll(initCpuAndWasm);

test("sums rows into segments and drops ids out of range", async () => {
  const [out] = await runOn("wasm", () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
      [9, 10],
    ]);
    const ids = tf.tensor1d([2, 0, 2, -1, 5], "int32");
    return [tf.unsortedSegmentSum(x, ids, 3)];
  });
  // segment 0 <- row 1; segment 1 <- nothing; segment 2 <- rows 0 and 2; ids -1 and 5 are dropped
  expect(Array.from(out)).toEqual([3, 4, 0, 0, 6, 8]);
});

test("gather gradient (embedding lookup with repeated ids) matches cpu", async () => {
  const run = () => {
    const table = seededTensor([7, 5], 3);
    const ids = tf.tensor2d(
      [
        [1, 4, 1],
        [6, 1, 0],
      ],
      [2, 3],
      "int32",
    );
    const weight = seededTensor([2, 3, 5], 4);
    const grad = tf.grad((t: tf.Tensor) => tf.gather(t, ids).mul(weight).sum())(table);
    return [grad];
  };
  const cpu = await runOn("cpu", run);
  const wasm = await runOn("wasm", run);
  // Only float32 summation order can differ.
  expect(maxRelErr(wasm[0], cpu[0])).toBeLessThan(1e-6);
  // rows never looked up (2, 3, 5) get no gradient
  for (const row of [2, 3, 5]) expect(Array.from(wasm[0].slice(row * 5, row * 5 + 5))).toEqual([0, 0, 0, 0, 0]);
});
