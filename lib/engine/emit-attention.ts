/**
 * Attention as ONNX nodes, op for op as lib/nn: AttentionBlock (`x + proj_out(attention(qkv(norm(x))))`),
 * multi-head QKV attention in both channel orders (legacy: heads split first; new: q/k/v split
 * first), and the classifier's AttentionPool2d. Tokens are `[N, T, C]`, as in lib/nn.
 */
import { AttentionBlockConfig, AttentionOrder, AttentionPoolConfig, attentionHeads } from "../nn/index";
import { GraphBuilder } from "./graph";
import { EmitContext, emitGroupNorm, emitLinear, Value } from "./emit-ops";

/** `[N, T, H*ch]` -> heads `[N, H, T, ch]`. */
function splitHeads(g: GraphBuilder, x: string, heads: number, width: number): string {
  const r = g.node("Reshape", [x, g.ints([0, 0, heads, width / heads])]);
  return g.node("Transpose", [r], { perm: [0, 2, 1, 3] }, "heads");
}

/**
 * qkv `[N, T, 3*H*ch]` -> `[N, T, H*ch]`: softmax over keys of (q ch^-1/4)(k ch^-1/4)^T, times v.
 * Channel c of qkv is `head*3*ch + {q,k,v}*ch + i` (legacy) or `{q,k,v}*H*ch + head*ch + i` (new).
 */
export function emitQkvAttention(g: GraphBuilder, qkv: string, channels: number, heads: number, order: AttentionOrder): string {
  const ch = channels / heads;
  let q: string, k: string, v: string;
  if (order === "legacy") {
    [q, k, v] = g.nodeN("Split", [splitHeads(g, qkv, heads, 3 * channels)], 3, { axis: 3 }, "qkv");
  } else {
    [q, k, v] = g.nodeN("Split", [qkv], 3, { axis: 2 }, "qkv").map((part) => splitHeads(g, part, heads, channels));
  }
  const scale = g.floats([1 / Math.sqrt(Math.sqrt(ch))]);
  const kt = g.node("Transpose", [g.node("Mul", [k, scale])], { perm: [0, 1, 3, 2] });
  const weight = g.node("Softmax", [g.node("MatMul", [g.node("Mul", [q, scale]), kt])], { axis: -1 }, "attention_weight");
  const a = g.node("Transpose", [g.node("MatMul", [weight, v])], { perm: [0, 2, 1, 3] });
  return g.node("Reshape", [a, g.ints([0, 0, channels])], {}, "attention");
}

/** `[N, C, H, W]` -> tokens `[N, H*W, C]`. */
function tokensOf(g: GraphBuilder, x: string, channels: number): string {
  return g.node("Transpose", [g.node("Reshape", [x, g.ints([0, channels, -1])])], { perm: [0, 2, 1] }, "tokens");
}

export function emitAttentionBlock(ctx: EmitContext, name: string, cfg: AttentionBlockConfig, x: Value): Value {
  const { g } = ctx;
  const c = cfg.channels;
  const heads = attentionHeads(name, c, cfg.numHeads, cfg.numHeadChannels);
  const tokens = tokensOf(g, emitGroupNorm(ctx, `${name}.norm`, x).name, c);
  const qkv = emitLinear(ctx, `${name}.qkv`, { name: tokens, rank: 3 }).name;
  const a = emitLinear(ctx, `${name}.proj_out`, { name: emitQkvAttention(g, qkv, c, heads, cfg.order), rank: 3 }).name;
  const image = g.node("Reshape", [g.node("Transpose", [a], { perm: [0, 2, 1] }), g.node("Shape", [x.name])]);
  return { name: g.node("Add", [x.name, image], {}, name), rank: 4 };
}

/**
 * AttentionPool2d: the spatial mean prepended as token 0, the positional embedding (ours `[T+1, C]`)
 * added, one attention layer in the new order with C / numHeadChannels heads, c_proj of token 0.
 */
export function emitAttentionPool(ctx: EmitContext, name: string, cfg: AttentionPoolConfig, x: Value): Value {
  const { g } = ctx;
  const c = cfg.channels;
  const heads = attentionHeads(name, c, 1, cfg.numHeadChannels);
  const tokens = tokensOf(g, x.name, c);
  const withMean = g.node("Concat", [g.node("ReduceMean", [tokens], { axes: [1], keepdims: 1 }), tokens], { axis: 1 });
  const withPos = g.node("Add", [withMean, ctx.param(`${name}.positional_embedding`)], {}, `${name}.tokens`);
  const qkv = emitLinear(ctx, `${name}.qkv_proj`, { name: withPos, rank: 3 }).name;
  const a = emitQkvAttention(g, qkv, c, heads, "new");
  const first = g.node("Reshape", [g.node("Slice", [a, g.ints([0]), g.ints([1]), g.ints([1])]), g.ints([0, c])], {}, `${name}.token0`);
  return emitLinear(ctx, `${name}.c_proj`, { name: first, rank: 2 });
}
