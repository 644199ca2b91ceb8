/**
 * A faster BatchMatMul for the wasm backend. The stock kernel reaches XNNPACK only for a single
 * matrix without transpose flags; anything else (every matmul gradient) runs a naive loop at 1-2
 * GFLOP/s. This wrapper reshapes the problem into what the fast path accepts and then calls the
 * stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { KernelArgs, Info, WasmKernel, concat, free, reshape, slice, transpose } from "./wasm-ops";

/** Above this many multiply-adds per matrix, one XNNPACK call per batch entry beats the batched loop. */
const PER_MATRIX_MACS = 1 << 21;

/** Swap the last two axes of x. */
function swapLast(backend: BackendWasm, x: Info): Info {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transpose(backend, x, perm);
}

/** a [..., M, K] times b [..., K, N] with no transpose flags, through the fastest stock path. */
function product(backend: BackendWasm, a: Info, b: Info, stock: WasmKernel<"a" | "b">): Info {
  const noFlags = { transposeA: false, transposeB: false };
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)).concat([m, n]);
  if (batchB === 1 && batchA > 1) {
    // A shared b: the batch of a is just more rows of one [batchA*M, K] x [K, N] product.
    const rows = reshape(backend, a, [1, batchA * m, k]);
    const out = stock({ inputs: { a: rows, b }, backend, attrs: noFlags });
    free(backend, rows);
    out.shape = outShape;
    return out;
  }
  if (batchA === batchB && batchA > 1 && m * k * n > PER_MATRIX_MACS) {
    const a3 = reshape(backend, a, [batchA, m, k]);
    const b3 = reshape(backend, b, [batchB, k, n]);
    const parts: Info[] = [];
    for (let i = 0; i < batchA; i++) {
      const ai = slice(backend, a3, [i, 0, 0], [1, m, k]);
      const bi = slice(backend, b3, [i, 0, 0], [1, k, n]);
      parts.push(stock({ inputs: { a: ai, b: bi }, backend, attrs: noFlags }));
      free(backend, ai, bi);
    }
    const out = concat(backend, parts, 0);
    free(backend, a3, b3, ...parts);
    out.shape = outShape;
    return out;
  }
  return stock({ inputs: { a, b }, backend, attrs: noFlags });
}

/**
 * Wrap the stock wasm BatchMatMul kernel: transpose flags become explicit Transpose kernels, a
 * batch that shares one b is folded into rows, and large per-batch products go one matrix at a time.
 */
export function fastBatchMatMul(stock: WasmKernel<"a" | "b">): WasmKernel<"a" | "b"> {
  return ({ inputs, backend, attrs }: KernelArgs<"a" | "b">): Info => {
    const { a, b } = inputs;
    if (a.dtype !== "float32" || b.dtype !== "float32") return stock({ inputs, backend, attrs });
    const a2 = attrs?.transposeA ? swapLast(backend, a) : a;
    const b2 = attrs?.transposeB ? swapLast(backend, b) : b;
    const out = product(backend, a2, b2, stock);
    if (a2 !== a) free(backend, a2);
    if (b2 !== b) free(backend, b2);
    return out;
  };
}
