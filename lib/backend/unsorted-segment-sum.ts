/**
 * UnsortedSegmentSum for the wasm backend (which lacks it). The gradient of tf.gather (embedding
 * lookups) uses it. A plain loop over the wasm heap: exact, and fast enough for embedding tables.
 */
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, Info } from "./wasm-ops";

/**
 * Kernel function for `UnsortedSegmentSum` on wasm: out[s, ...] = sum of x[i, ...] over all i with
 * segmentIds[i] = s. segmentIds' shape is a prefix of x's; ids outside [0, numSegments) are dropped,
 * as in TensorFlow.
 */
export function unsortedSegmentSumWasm({ inputs, backend, attrs }: KernelArgs<"x" | "segmentIds">): Info {
  const { x, segmentIds } = inputs;
  const numSegments = attrs?.numSegments as number;
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const inner = tf.util.sizeFromShape(x.shape.slice(segmentIds.shape.length));
  const out = backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  // Views are taken after the allocation above: a heap growth would detach earlier ones.
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const acc = backend.typedArrayFromHeap(out);
  acc.fill(0);
  for (let i = 0; i < rows; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) acc[dst + j] += xs[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: "UnsortedSegmentSum",
  backendName: "wasm",
  kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc,
};
