// Registration: the kernels are installed on wasm, the cpu fix on cpu, and a second call changes nothing.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { fixCpuKernels, registerWasmKernels } from "../../lib/backend/kernels";
import { initCpuAndWasm, runOn, seededTensor } from "../helpers/backends";
import { maxRelErr } from "../helpers/close";

const PATCHED = ["Conv2DBackpropFilter", "Conv2DBackpropInput", "UnsortedSegmentSum", "BatchMatMul"];

test("wasm lacks Conv2DBackpropFilter and UnsortedSegmentSum until we register them", () => {
  expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeUndefined();
  expect(tf.getKernel("UnsortedSegmentSum", "wasm")).toBeUndefined();
  const stockMatMul = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc;
  registerWasmKernels();
  for (const name of PATCHED) expect(tf.getKernel(name, "wasm")).toBeDefined();
  expect(tf.getKernel("BatchMatMul", "wasm")!.kernelFunc).not.toBe(stockMatMul);
});

test("registering twice keeps the same kernels, warns nothing, and matmul still matches cpu", async () => {
  const before = PATCHED.map((name) => tf.getKernel(name, "wasm")!.kernelFunc);
  const cpuFix = () => tf.getKernel("ResizeNearestNeighborGrad", "cpu")!.kernelFunc;
  fixCpuKernels();
  const fixed = cpuFix();
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  registerWasmKernels();
  fixCpuKernels();
  expect(warn).not.toHaveBeenCalled();
  warn.mockRestore();
  expect(PATCHED.map((name) => tf.getKernel(name, "wasm")!.kernelFunc)).toEqual(before);
  expect(cpuFix()).toBe(fixed);
  await initCpuAndWasm();
  // A double-wrapped BatchMatMul would transpose twice and give a wrong product.
  const run = () => [tf.matMul(seededTensor([2, 4, 3], 1), seededTensor([2, 5, 4], 2), true, true)];
  const cpu = await runOn("cpu", run);
  const wasm = await runOn("wasm", run);
  expect(maxRelErr(wasm[0], cpu[0])).toBeLessThan(1e-4);
});
