/**
 * Parameters as tf.Variables keyed by guided-diffusion state_dict names.
 *
 * A layer first describes its parameters as `ParamSpec`s (pure data: name, shape in OUR layout, how the
 * PyTorch layout differs, how to initialise). The same specs allocate the variables, count parameters
 * without allocating anything, and check a checkpoint's keys and shapes before loading it.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * How our layout relates to PyTorch's, for the one-time permutation at load/save:
 * - `conv2d`: ours HWIO `[kh, kw, in, out]`, PyTorch OIHW `[out, in, kh, kw]`
 * - `linear`: ours `[in, out]`, PyTorch `[out, in]`
 * - `conv1d`: a 1x1 Conv1d used as a linear map: ours `[in, out]`, PyTorch `[out, in, 1]`
 * - `transposed`: ours `[a, b]`, PyTorch `[b, a]` (AttentionPool2d's positional embedding)
 * - `same`: identical (GroupNorm affine, biases, nn.Embedding)
 */
export type ParamLayout = "conv2d" | "linear" | "conv1d" | "transposed" | "same";

/** Initialisation, PyTorch-default-like so that training from scratch behaves as in guided-diffusion. */
export type ParamInit = { kind: "uniform"; bound: number } | { kind: "normal"; std: number } | { kind: "zeros" } | { kind: "ones" };

/** One parameter: its state_dict name, shape in our layout, layout relation and initialiser. */
export interface ParamSpec {
  name: string;
  shape: number[];
  layout: ParamLayout;
  init: ParamInit;
}

/** A model's parameters, keyed by guided-diffusion state_dict names, in our layout. */
export type Params = Map<string, tf.Variable>;

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Total number of scalars described by `specs` (nothing is allocated). */
export function countSpecs(specs: readonly ParamSpec[]): number {
  let n = 0;
  for (const s of specs) n += numel(s.shape);
  return n;
}

/** The shape PyTorch uses for a parameter stored in our layout. */
export function torchShape(spec: Pick<ParamSpec, "shape" | "layout">): number[] {
  const s = spec.shape;
  switch (spec.layout) {
    case "conv2d":
      return [s[3], s[2], s[0], s[1]];
    case "linear":
    case "transposed":
      return [s[1], s[0]];
    case "conv1d":
      return [s[1], s[0], 1];
    case "same":
      return s.slice();
  }
}

/** A fresh initial value for `spec`; `seed` makes random initialisers reproducible. */
export function initialValue(spec: ParamSpec, seed?: number): tf.Tensor {
  const init = spec.init;
  switch (init.kind) {
    case "uniform":
      return tf.randomUniform(spec.shape, -init.bound, init.bound, "float32", seed);
    case "normal":
      return tf.randomNormal(spec.shape, 0, init.std, "float32", seed);
    case "zeros":
      return tf.zeros(spec.shape, "float32");
    case "ones":
      return tf.ones(spec.shape, "float32");
  }
}

/** Allocate and initialise one trainable variable per spec. Names must be unique. */
export function createParams(specs: readonly ParamSpec[]): Params {
  const params: Params = new Map();
  for (const spec of specs) {
    if (params.has(spec.name)) throw new Error(`duplicate parameter name ${spec.name}`);
    const value = initialValue(spec);
    params.set(spec.name, tf.variable(value, true));
    value.dispose();
  }
  return params;
}

/** Look up a parameter; a missing name is a programming error in the model definition. */
export function param(params: Params, name: string): tf.Variable {
  const v = params.get(name);
  if (!v) throw new Error(`parameter ${name} does not exist in this model`);
  return v;
}

/** Dispose every variable of `params`. */
export function disposeParams(params: Params): void {
  for (const v of params.values()) v.dispose();
  params.clear();
}
