/**
 * The ONNX primitives the layer emitters share, in NCHW (ONNX's Conv layout), with the model's
 * parameters as initializers named by their state_dict names. Weights are converted once, here:
 * conv HWIO -> OIHW; linear `[in, out]` is what Gemm and MatMul take as B. Each formula is that of
 * the lib/nn function of the same name, op for op.
 */
import { GROUPS, GROUP_NORM_EPS, timestepFrequencies } from "../nn/index";
import { GraphBuilder } from "./graph";
import { WeightSource } from "./weights";

/** A graph value: its name and rank (images are `[N, C, H, W]`, vectors `[N, C]`). */
export interface Value {
  name: string;
  rank: number;
}

/** What the layer emitters share: the graph under construction and the network's weights. */
export interface EmitContext {
  g: GraphBuilder;
  weights: WeightSource;
}

/** A parameter as an initializer, unchanged (biases, GroupNorm affine, linear `[in, out]`); `dims` reshapes it. */
export function initializer(ctx: EmitContext, name: string, dims?: (shape: number[]) => number[]): string {
  const w = ctx.weights(name);
  return ctx.g.initializer(name, w.data, dims ? dims(w.shape) : w.shape);
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

/** nn.Conv2d with padding (k-1)/2 on every side. */
export function emitConv(ctx: EmitContext, name: string, x: Value, stride: 1 | 2 = 1): Value {
  const w = ctx.weights(`${name}.weight`);
  const [kh, kw, ci, co] = w.shape;
  const wName = ctx.g.initializer(`${name}.weight`, hwioToOihw(w.data, w.shape), [co, ci, kh, kw]);
  const pad = (kh - 1) / 2;
  const out = ctx.g.node("Conv", [x.name, wName, initializer(ctx, `${name}.bias`)], {
    kernel_shape: [kh, kw], pads: [pad, pad, pad, pad], strides: [stride, stride],
  }, name);
  return { name: out, rank: 4 };
}

/** `x W + b` over the last axis: Gemm for `[N, in]`, MatMul + Add for tokens `[N, T, in]`. */
export function emitLinear(ctx: EmitContext, name: string, x: Value): Value {
  const w = initializer(ctx, `${name}.weight`);
  const b = initializer(ctx, `${name}.bias`);
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
  const scaled = g.node("Mul", [back, initializer(ctx, `${name}.weight`, dims)], {}, `${name}.scaled`);
  return { name: g.node("Add", [scaled, initializer(ctx, `${name}.bias`, dims)], {}, name), rank: x.rank };
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
