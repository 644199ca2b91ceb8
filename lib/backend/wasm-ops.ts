/**
 * Thin wrappers that run the wasm backend's own kernels on TensorInfos, so that our composite
 * kernels (conv gradients, matmul fast path) can be written as a few lines of tensor algebra.
 * Every TensorInfo returned here is owned by the caller and must be released with `free`
 * unless it is the kernel's final output.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

export type Info = tf.TensorInfo;

/** Arguments every kernel function receives from the engine; `I` names its inputs. */
export interface KernelArgs<I extends string = string> {
  inputs: Record<I, Info>;
  backend: BackendWasm;
  attrs?: tf.NamedAttrMap;
}

/** A kernel function with the wasm backend typed (tfjs types it as `{}`). */
export type WasmKernel<I extends string = string> = (args: KernelArgs<I>) => Info;

/** The kernel function registered now for `name` on wasm; throws if there is none. */
export function wasmKernel(name: string): WasmKernel {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`the wasm backend has no kernel ${name}`);
  return config.kernelFunc as unknown as WasmKernel;
}

function run(name: string, backend: BackendWasm, inputs: Record<string, Info>, attrs: tf.NamedAttrMap): Info {
  return wasmKernel(name)({ inputs, backend, attrs });
}

/** Release intermediates (reshapes share data through a reference count, so this is safe for them). */
export function free(backend: BackendWasm, ...infos: Info[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** Permute the axes of x. */
export function transpose(backend: BackendWasm, x: Info, perm: number[]): Info {
  return run("Transpose", backend, { x }, { perm });
}

/** Same data, new shape (no copy: the data gains a reference). */
export function reshape(backend: BackendWasm, x: Info, shape: number[]): Info {
  return run("Reshape", backend, { x }, { shape });
}

/** Zero padding; `paddings[i]` = [before, after] for axis i. */
export function pad(backend: BackendWasm, x: Info, paddings: number[][]): Info {
  return run("PadV2", backend, { x }, { paddings, constantValue: 0 });
}

/** The block of x starting at `begin` with extent `size`. */
export function slice(backend: BackendWasm, x: Info, begin: number[], size: number[]): Info {
  return run("Slice", backend, { x }, { begin, size });
}

/** Reverse x along `dims`. */
export function reverse(backend: BackendWasm, x: Info, dims: number[]): Info {
  return run("Reverse", backend, { x }, { dims });
}

/** Join xs along `axis`. */
export function concat(backend: BackendWasm, xs: Info[], axis: number): Info {
  // Concat is the one kernel whose `inputs` is an array rather than a name->tensor map.
  return run("Concat", backend, xs as unknown as Record<string, Info>, { axis });
}

/** Stride-1 NHWC Conv2D (XNNPACK) with explicit non-negative padding [[top, bottom], [left, right]]. */
export function conv2dStride1(backend: BackendWasm, x: Info, filter: Info, padding: number[][], dilations: number[]): Info {
  const explicit = [[0, 0], padding[0], padding[1], [0, 0]];
  return run("Conv2D", backend, { x, filter }, { strides: [1, 1], pad: explicit, dilations, dataFormat: "NHWC" });
}
