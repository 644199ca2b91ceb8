// The wasm BatchMatMul fast path (explicit transposes, shared-b folding, per-matrix loop) against cpu.
import * as tf from "@tensorflow/tfjs";
import { initCpuAndWasm, runOn, seededTensor } from "../helpers/backends";
import { maxRelErr } from "../helpers/close";

beforeAll(initCpuAndWasm);

/** Shapes of a and b as stored, for a product [.., M, K] x [.., K, N] under the given flags. */
function stored(batchA: number[], batchB: number[], m: number, k: number, n: number, tA: boolean, tB: boolean): [number[], number[]] {
  return [batchA.concat(tA ? [k, m] : [m, k]), batchB.concat(tB ? [n, k] : [k, n])];
}

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
// [name, batch dims of a, batch dims of b, M, K, N]
type Shape = [string, number[], number[], number, number, number];
const SAME_BATCH: Shape[] = [
  ["single matrix", [], [], 5, 7, 4],
  ["per-batch b", [3], [3], 5, 7, 4],
  ["large per-batch (one call per matrix)", [2], [2], 130, 130, 130],
];
// tfjs-core 4.22's BatchMatMul gradient does not sum over broadcast batch axes on any backend,
// so broadcast shapes are checked forward only.
const BROADCAST: Shape[] = [
  ["shared rank-2 b", [3], [], 5, 7, 4],
  ["shared b with batch 1", [2, 3], [1], 6, 3, 5],
  ["shared a", [1], [4], 5, 7, 4],
];

/** matMul of seeded inputs under the flags, and (when `withGrads`) the gradients of sum(y^2). */
function matMulCase([, batchA, batchB, m, k, n]: Shape, tA: boolean, tB: boolean, withGrads: boolean): () => tf.Tensor[] {
  const [aShape, bShape] = stored(batchA, batchB, m, k, n, tA, tB);
  return () => {
    const a = seededTensor(aShape, 5);
    const b = seededTensor(bShape, 6);
    const y = tf.matMul(a, b, tA, tB);
    if (!withGrads) return [y];
    const f = (x: tf.Tensor, z: tf.Tensor) => tf.matMul(x, z, tA, tB).square().sum();
    return [y, ...tf.grads(f)([a, b])];
  };
}

for (const shape of SAME_BATCH) {
  test.each(FLAGS)(`${shape[0]}, transposeA=%s transposeB=%s: product and gradients match cpu`, async (tA, tB) => {
    const run = matMulCase(shape, tA, tB, true);
    const cpu = await runOn("cpu", run);
    const wasm = await runOn("wasm", run);
    for (let i = 0; i < 3; i++) expect(maxRelErr(wasm[i], cpu[i])).toBeLessThan(1e-4);
  });
}

for (const shape of BROADCAST) {
  test.each(FLAGS)(`${shape[0]}, transposeA=%s transposeB=%s: product matches cpu`, async (tA, tB) => {
    const run = matMulCase(shape, tA, tB, false);
    const cpu = await runOn("cpu", run);
    const wasm = await runOn("wasm", run);
    expect(maxRelErr(wasm[0], cpu[0])).toBeLessThan(1e-4);
  });
}

test("a product against a hand computation", async () => {
  const [out] = await runOn("wasm", () => {
    const a = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [0, 1],
        [1, 0],
      ],
    ]);
    const b = tf.tensor2d([
      [1, 10],
      [100, 1000],
    ]);
    return [tf.matMul(a, b, true, false)];
  });
  // a[0]^T b = [[1,3],[2,4]] b ; a[1]^T b = [[0,1],[1,0]] b
  expect(Array.from(out)).toEqual([301, 3010, 402, 4020, 100, 1000, 1, 10]);
});
