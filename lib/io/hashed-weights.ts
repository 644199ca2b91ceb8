/**
 * Deterministic pseudo-random state_dicts: every value a function of (seed, parameter name, element
 * index) through a 32-bit integer hash, so that any program computes the same weights without
 * sharing a file. test/fixtures/models/make_golden.py draws guided-diffusion's weights this way (in
 * numpy), which lets a golden test of a full-depth network commit only the network's outputs; the
 * ImageNet notebook uses the same weights for its stand-ins when the released checkpoints are absent.
 *
 * Values follow make_golden.py's `randomise`: matrices and kernels uniform in +-1/sqrt(fan_in)
 * (fan_in = the PyTorch shape without its first axis), GroupNorm scales 1 + 0.2 u, everything else
 * (biases, shifts, the class embedding, the attention pool's positions) 0.2 u, with u uniform in
 * [-1, 1), computed in float64 and rounded once to float32.
 */
import { ParamSpec, torchShape } from "../nn/index";
import { StateDict, TensorRecord } from "./tensor-record";

/** Chris Wellons' "lowbias32" integer hash (a bijection of the 32-bit integers). */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a of the UTF-8 bytes of `s`. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, "utf8")) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** `n` values uniform in [-1, 1) for `name`: u_i = 2 (mix(key ^ mix(i)) >> 8) / 2^24 - 1, key = fnv1a(name) ^ mix(seed). */
export function hashedUniform(name: string, n: number, seed: number): Float64Array {
  const key = (fnv1a(name) ^ mix(seed >>> 0)) >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((mix((key ^ mix(i)) >>> 0) >>> 8) / 16777216) * 2 - 1;
  return out;
}

/** One parameter's values in PyTorch's layout (C order of `shape`). */
export function hashedParameter(name: string, shape: readonly number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = hashedUniform(name, n, seed);
  const out = new Float32Array(n);
  if (shape.length >= 2 && !name.endsWith("positional_embedding") && !name.startsWith("label_emb")) {
    const bound = 1 / Math.sqrt(n / shape[0]);
    for (let i = 0; i < n; i++) out[i] = u[i] * bound;
  } else if (shape.length === 1 && name.endsWith(".weight")) {
    for (let i = 0; i < n; i++) out[i] = 1 + 0.2 * u[i];
  } else {
    for (let i = 0; i < n; i++) out[i] = 0.2 * u[i];
  }
  return out;
}

/**
 * A PyTorch-layout state_dict for these specs (a network's parameters) with hashed values. The
 * records compute their values when `data` is read, each time, so a network of any size can be
 * streamed into the engine without holding its weights twice.
 */
export function hashedStateDict(specs: readonly ParamSpec[], seed: number): StateDict {
  const dict: StateDict = new Map();
  for (const spec of specs) {
    const shape = torchShape(spec);
    dict.set(spec.name, {
      dtype: "float32",
      shape,
      get data() {
        return hashedParameter(spec.name, shape, seed);
      },
    } as TensorRecord);
  }
  return dict;
}
