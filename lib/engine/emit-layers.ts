/**
 * The ONNX executor of a plan (lib/models/walk): each layer kind of lib/models/layers as ONNX nodes
 * (./emit-ops, ./emit-attention), with the formulas of lib/nn op for op.
 */
import { ResampleConfig, ResBlockConfig } from "../nn/index";
import type { Executor, Layer } from "../models/index";
import { GraphBuilder } from "./graph";
import { emitAttentionBlock, emitAttentionPool } from "./emit-attention";
import { avgPool2, EmitContext, emitConv, emitGroupNorm, emitLinear, emitSilu, emitTimestepEmbedding, nearest2, Value } from "./emit-ops";

function emitDownsample(ctx: EmitContext, name: string, cfg: ResampleConfig, x: Value): Value {
  return cfg.useConv ? emitConv(ctx, `${name}.op`, x, 2) : avgPool2(ctx.g, x);
}

function emitUpsample(ctx: EmitContext, name: string, cfg: ResampleConfig, x: Value): Value {
  const up = nearest2(ctx.g, x);
  return cfg.useConv ? emitConv(ctx, `${name}.conv`, up) : up;
}

/** `[N, C]` -> `[N, C, 1, 1]`, to broadcast over an image. */
function toImage(g: GraphBuilder, v: string): string {
  return g.node("Unsqueeze", [v, g.ints([2, 3])]);
}

/** ResBlock as lib/nn/resblock: additive or AdaGN conditioning, BigGAN up/down, dropout (training graphs), 1x1 skip conv. */
export function emitResBlock(ctx: EmitContext, name: string, cfg: ResBlockConfig, x: Value, emb: Value): Value {
  const { g } = ctx;
  let h = emitSilu(g, emitGroupNorm(ctx, `${name}.in_layers.0`, x));
  if (cfg.up) {
    h = nearest2(g, h);
    x = nearest2(g, x);
  } else if (cfg.down) {
    h = avgPool2(g, h);
    x = avgPool2(g, x);
  }
  h = emitConv(ctx, `${name}.in_layers.2`, h);
  const o = cfg.outChannels;
  const e = emitLinear(ctx, `${name}.emb_layers.1`, emitSilu(g, emb)).name;
  if (cfg.useScaleShiftNorm) {
    // AdaGN: GN(h) * (1 + scale) + shift, scale = e[:, :o], shift = e[:, o:]
    const axis = g.ints([1]);
    const scale = toImage(g, g.node("Slice", [e, g.ints([0]), g.ints([o]), axis], {}, `${name}.scale`));
    const shift = toImage(g, g.node("Slice", [e, g.ints([o]), g.ints([2 * o]), axis], {}, `${name}.shift`));
    const normed = emitGroupNorm(ctx, `${name}.out_layers.0`, h).name;
    h = { name: g.node("Add", [g.node("Mul", [normed, g.node("Add", [scale, g.floats([1])])]), shift], {}, `${name}.adagn`), rank: 4 };
  } else {
    h = emitGroupNorm(ctx, `${name}.out_layers.0`, { name: g.node("Add", [h.name, toImage(g, e)]), rank: 4 });
  }
  h = emitSilu(g, h);
  if (ctx.dropoutMask && cfg.dropout > 0) h = { name: g.node("Mul", [h.name, ctx.dropoutMask(name, h, cfg.dropout)], {}, `${name}.dropout`), rank: 4 };
  h = emitConv(ctx, `${name}.out_layers.3`, h);
  const skip = o === cfg.channels ? x : emitConv(ctx, `${name}.skip_connection`, x);
  return { name: g.node("Add", [skip.name, h.name], {}, name), rank: 4 };
}

/** One layer of a plan as ONNX nodes (dropout acts only where the context has masks: training graphs). */
export function emitLayer(ctx: EmitContext, layer: Layer, h: Value, emb: Value | null): Value {
  const { g } = ctx;
  switch (layer.kind) {
    case "conv":
      return emitConv(ctx, layer.name, h);
    case "resblock":
      if (!emb) throw new Error(`${layer.name}: a ResBlock needs the timestep embedding`);
      return emitResBlock(ctx, layer.name, layer.cfg, h, emb);
    case "attention":
      return emitAttentionBlock(ctx, layer.name, layer.cfg, h);
    case "downsample":
      return emitDownsample(ctx, layer.name, layer.cfg, h);
    case "upsample":
      return emitUpsample(ctx, layer.name, layer.cfg, h);
    case "norm":
      return emitGroupNorm(ctx, layer.name, h);
    case "silu":
      return emitSilu(g, h);
    case "relu":
      return { name: g.node("Relu", [h.name]), rank: h.rank };
    case "linear":
      return emitLinear(ctx, layer.name, h);
    case "timestepEmbedding":
      return emitTimestepEmbedding(g, h, layer.dim);
    case "embedding":
      return { name: g.node("Gather", [ctx.param(`${layer.name}.weight`), h.name], { axis: 0 }, layer.name), rank: 2 };
    case "spatialMean":
      return { name: g.node("ReduceMean", [h.name], { axes: [2, 3], keepdims: layer.keepDims ? 1 : 0 }, "spatial_mean"), rank: layer.keepDims ? 4 : 2 };
    case "flatten":
      return { name: g.node("Flatten", [h.name], { axis: 1 }), rank: 2 };
    case "attentionPool":
      return emitAttentionPool(ctx, layer.name, layer.cfg, h);
  }
}

/** The ONNX executor: values are graph names, channels on axis 1. */
export function onnxExecutor(ctx: EmitContext): Executor<Value> {
  return {
    layer: (layer, h, emb) => emitLayer(ctx, layer, h, emb),
    add: (a, b) => ({ name: ctx.g.node("Add", [a.name, b.name]), rank: a.rank }),
    concat: (parts) => ({
      name: ctx.g.node(
        "Concat",
        parts.map((p) => p.name),
        { axis: 1 },
      ),
      rank: parts[0].rank,
    }),
  };
}
