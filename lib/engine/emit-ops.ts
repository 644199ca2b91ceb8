/**
 * The ONNX primitives the layer emitters share, in NCHW (ONNX's Conv layout), with the model's
 * parameters named by their state_dict names: initializers for inference graphs, graph inputs for
 * training graphs (so the weights change from step to step without a new session). Conv kernels are
 * HWIO in our layout and OIHW for ONNX's Conv; linear `[in, out]` is what Gemm and MatMul take as B.
 * Each formula is that of the lib/nn function of the same name, op for op.
 */
import { GROUPS, GROUP_NORM_EPS, timestepFrequencies } from "../nn/index";
import { GraphBuilder } from "./graph";
import { WeightSource } from "./weights";

/** A graph value: its name and rank (images are `[N, C, H, W]`, vectors `[N, C]`). */
export interface Value {
  name: string;
  rank: number;
}

/** What the layer emitters share: the graph under construction and how parameters enter it. */
export interface EmitContext {
  g: GraphBuilder;
  /** parameter `name` in our layout, reshaped to `dims(shape)` when given */
  param(name: string, dims?: (shape: number[]) => number[]): string;
  /** a conv kernel (HWIO in our layout) as Conv takes it, OIHW `[out, in, kh, kw]`, and its size */
  convWeight(name: string): { value: string; kernel: [number, number] };
  /** dropout's keep-mask for a ResBlock's h (training graphs); absent, dropout is the identity */
  dropoutMask?(name: string, h: Value, rate: number): string;
}

/** HWIO `[kh, kw, in, out]` -> OIHW `[out, in, kh, kw]`. */
function hwioToOihw(data: Float32Array, [kh, kw, ci, co]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ci; i++) {
        const src = ((y * kw + x) * ci + i) * co;
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = data[src + o];
      }
    }
  }
  return out;
}

/** Parameters as initializers holding `weights` as they are now (inference graphs); conv kernels converted once here. */
export function initializerContext(g: GraphBuilder, weights: WeightSource): EmitContext {
  return {
    g,
    param(name, dims) {
      const w = weights(name);
      return g.initializer(name, w.data, dims ? dims(w.shape) : w.shape);
    },
    convWeight(name) {
      const w = weights(name);
      const [kh, kw, ci, co] = w.shape;
      return { value: g.initializer(name, hwioToOihw(w.data, w.shape), [co, ci, kh, kw]), kernel: [kh, kw] };
    },
  };
}

/** nn.Conv2d with padding (k-1)/2 on every side. */
export function emitConv(ctx: EmitContext, name: string, x: Value, stride: 1 | 2 = 1): Value {
  const {
    value: w,
    kernel: [kh, kw],
  } = ctx.convWeight(`${name}.weight`);
  const pad = (kh - 1) / 2;
  const out = ctx.g.node(
    "Conv",
    [x.name, w, ctx.param(`${name}.bias`)],
    {
      kernel_shape: [kh, kw],
      pads: [pad, pad, pad, pad],
      strides: [stride, stride],
    },
    name,
  );
  return { name: out, rank: 4 };
}

/** `x W + b` over the last axis: Gemm for `[N, in]`, MatMul + Add for tokens `[N, T, in]`. */
export function emitLinear(ctx: EmitContext, name: string, x: Value): Value {
  const w = ctx.param(`${name}.weight`);
  const b = ctx.param(`${name}.bias`);
  if (x.rank === 2) return { name: ctx.g.node("Gemm", [x.name, w, b], {}, name), rank: 2 };
  const xw = ctx.g.node("MatMul", [x.name, w], {}, `${name}.matmul`);
  return { name: ctx.g.node("Add", [xw, b], {}, name), rank: x.rank };
}

/**
 * GroupNorm32: the channels split into 32 groups, each normalised over its channels and all
 * positions with biased variance and eps 1e-5 (InstanceNormalization over `[N, 32, C/32 * H * W]`),
 * then the per-channel affine.
 */
export function emitGroupNorm(ctx: EmitContext, name: string, x: Value): Value {
  const { g } = ctx;
  const grouped = g.node("Reshape", [x.name, g.ints([0, GROUPS, -1])], {}, `${name}.grouped`);
  const ones = g.floats(new Array(GROUPS).fill(1), [GROUPS]);
  const zeros = g.floats(new Array(GROUPS).fill(0), [GROUPS]);
  const normed = g.node("InstanceNormalization", [grouped, ones, zeros], { epsilon: { float: GROUP_NORM_EPS } }, `${name}.normed`);
  const back = g.node("Reshape", [normed, g.node("Shape", [x.name])], {}, `${name}.ungrouped`);
  // per-channel affine, broadcast over H and W
  const dims = ([c]: number[]) => (x.rank === 4 ? [c, 1, 1] : [c]);
  const scaled = g.node("Mul", [back, ctx.param(`${name}.weight`, dims)], {}, `${name}.scaled`);
  return { name: g.node("Add", [scaled, ctx.param(`${name}.bias`, dims)], {}, name), rank: x.rank };
}

/** SiLU, x * sigmoid(x). */
export function emitSilu(g: GraphBuilder, x: Value): Value {
  return { name: g.node("Mul", [x.name, g.node("Sigmoid", [x.name])], {}, "silu"), rank: x.rank };
}

/** `[cos(t f) | sin(t f)]` from t `[N]` (float32), with the frequencies f of lib/nn as a constant. */
export function emitTimestepEmbedding(g: GraphBuilder, t: Value, dim: number): Value {
  const half = Math.floor(dim / 2);
  const freqs = g.initializer("timestep_frequencies", timestepFrequencies(half), [1, half]);
  const args = g.node("Mul", [g.node("Unsqueeze", [t.name, g.ints([1])]), freqs], {}, "timestep_args");
  let emb = g.node("Concat", [g.node("Cos", [args]), g.node("Sin", [args])], { axis: 1 }, "timestep_embedding");
  if (dim % 2) emb = g.node("Pad", [emb, g.ints([0, 0, 0, 1])], {}, "timestep_embedding_padded");
  return { name: emb, rank: 2 };
}

/** 2x2 average pool, stride 2, floor (nn.AvgPool2d(2)). */
export function avgPool2(g: GraphBuilder, x: Value): Value {
  return { name: g.node("AveragePool", [x.name], { kernel_shape: [2, 2], strides: [2, 2] }, "avg_pool"), rank: 4 };
}

/** Nearest x2: output pixel i reads input floor(i / 2), as F.interpolate(mode="nearest"). */
export function nearest2(g: GraphBuilder, x: Value): Value {
  const scales = g.floats([1, 1, 2, 2], [4]);
  return {
    name: g.node("Resize", [x.name, "", scales], { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" }, "nearest2"),
    rank: 4,
  };
}
