/**
 * Run the same computation on two tfjs backends: the patched wasm backend and the cpu backend
 * (stock kernels plus our ResizeNearestNeighborGrad fix), which serves as the oracle.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";

/** Initialise cpu and wasm once (with our kernel patches) for a test file. */
export async function initCpuAndWasm(): Promise<void> {
  await initBackend("cpu");
  await initBackend("wasm");
}

/** Switch to `name`, evaluate `fn` in a tidy scope, and return its tensors' values. */
export async function runOn(name: "cpu" | "wasm", fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(name);
  const outs = tf.tidy(fn);
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return values;
}

/** Deterministic values in [-1, 1) (a linear congruential generator), the same on every backend. */
export function seededValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** A float32 tensor of `shape` filled with `seededValues`. */
export function seededTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(tf.util.sizeFromShape(shape), seed), shape);
}
