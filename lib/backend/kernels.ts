/**
 * Kernels that tfjs-backend-wasm 4.22 lacks or runs slowly, and a fix for a wrong cpu kernel.
 * lib/backend.ts calls these right after activating the backend; both are safe to call again.
 */
import * as tf from "@tensorflow/tfjs";
import { fastBatchMatMul } from "./batch-matmul";
import { conv2dBackpropFilterConfig } from "./conv-backprop-filter";
import { conv2dBackpropInputConfig } from "./conv-backprop-input";
import { resizeNearestNeighborGradCpuConfig } from "./cpu-resize-nearest-grad";
import { unsortedSegmentSumConfig } from "./unsorted-segment-sum";
import { WasmKernel } from "./wasm-ops";

/** Register `config` in place of any kernel of that name, unless it is already the one registered. */
function install(config: tf.KernelConfig): void {
  const current = tf.getKernel(config.kernelName, config.backendName);
  if (current?.kernelFunc === config.kernelFunc) return;
  if (current) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/** The wrapped BatchMatMul, made once so that a second call finds it installed. */
let batchMatMulConfig: tf.KernelConfig | undefined;

function batchMatMul(): tf.KernelConfig {
  if (!batchMatMulConfig) {
    const stock = tf.getKernel("BatchMatMul", "wasm");
    if (!stock) throw new Error("the wasm backend has no BatchMatMul kernel");
    batchMatMulConfig = {
      ...stock,
      // The stock setupFunc binds the C++ entry point the stock kernelFunc calls; keep it so a
      // re-initialised wasm backend sets it up again.
      kernelFunc: fastBatchMatMul(stock.kernelFunc as unknown as WasmKernel<"a" | "b">) as unknown as tf.KernelFunc,
    };
  }
  return batchMatMulConfig;
}

/**
 * Register on the wasm backend: Conv2DBackpropFilter and UnsortedSegmentSum (missing), and faster
 * Conv2DBackpropInput and BatchMatMul (XNNPACK instead of naive loops). Call after importing
 * @tensorflow/tfjs-backend-wasm; calling it again changes nothing.
 */
export function registerWasmKernels(): void {
  install(conv2dBackpropFilterConfig);
  install(conv2dBackpropInputConfig);
  install(unsortedSegmentSumConfig);
  install(batchMatMul());
}

/**
 * Replace the cpu backend's ResizeNearestNeighborGrad, which is wrong for batch > 1, with a correct
 * one. The cpu conv kernels are left stock: they are the oracle the wasm kernels are tested against.
 */
export function fixCpuKernels(): void {
  install(resizeNearestNeighborGradCpuConfig);
}
