/**
 * The layers a network here is made of, as plain data (guided-diffusion's modules with their
 * state_dict names and channel counts), with one function for their parameter specs and the tfjs
 * executor's `applyLayer`. The ONNX emitter (lib/engine) walks the same layers; model files only
 * arrange them (./unet-plan) and walk them (./walk).
 */
import * as tf from "@tensorflow/tfjs";
import {
  AttentionBlockConfig, AttentionPoolConfig, attentionBlock, attentionBlockParams, attentionPool, attentionPoolParams,
  conv2d, conv2dParams, downsample, downsampleParams, embedding, embeddingParams, groupNorm32, groupNormParams, linear,
  linearParams, type DropoutMasks, Params, ParamSpec, ResampleConfig, ResBlockConfig, resBlock, resBlockParams, silu, timestepEmbedding,
  upsample, upsampleParams,
} from "../nn/index";
import type { Executor } from "./walk";

export type Layer =
  /** nn.Conv2d with padding (k-1)/2; `zero` for guided-diffusion's zero_module (initialisation only) */
  | { kind: "conv"; name: string; inChannels: number; outChannels: number; kernel: 1 | 3; zero: boolean }
  | { kind: "resblock"; name: string; cfg: ResBlockConfig }
  | { kind: "attention"; name: string; cfg: AttentionBlockConfig }
  | { kind: "downsample"; name: string; cfg: ResampleConfig }
  | { kind: "upsample"; name: string; cfg: ResampleConfig }
  /** GroupNorm32 over `[N, H, W, C]`, or over `[N, C]` as if H = W = 1 */
  | { kind: "norm"; name: string; channels: number }
  | { kind: "silu" }
  | { kind: "relu" }
  | { kind: "linear"; name: string; inFeatures: number; outFeatures: number }
  /** t `[N]` -> sinusoidal `[N, dim]` */
  | { kind: "timestepEmbedding"; dim: number }
  /** labels `[N]` -> rows of `<name>.weight` `[N, dim]` */
  | { kind: "embedding"; name: string; num: number; dim: number }
  /** mean over H and W: `[N, C]`, or `[N, 1, 1, C]` with keepDims */
  | { kind: "spatialMean"; keepDims: boolean }
  /** `[N, 1, 1, C]` -> `[N, C]` */
  | { kind: "flatten" }
  | { kind: "attentionPool"; name: string; cfg: AttentionPoolConfig };

/** A sequence of layers applied in order (guided-diffusion's TimestepEmbedSequential, or a head). */
export type Block = Layer[];

export function layerParams(layer: Layer): ParamSpec[] {
  switch (layer.kind) {
    case "conv":
      return conv2dParams(layer.name, layer.inChannels, layer.outChannels, layer.kernel, layer.zero);
    case "resblock":
      return resBlockParams(layer.name, layer.cfg);
    case "attention":
      return attentionBlockParams(layer.name, layer.cfg);
    case "downsample":
      return downsampleParams(layer.name, layer.cfg);
    case "upsample":
      return upsampleParams(layer.name, layer.cfg);
    case "norm":
      return groupNormParams(layer.name, layer.channels);
    case "linear":
      return linearParams(layer.name, layer.inFeatures, layer.outFeatures);
    case "embedding":
      return embeddingParams(layer.name, layer.num, layer.dim);
    case "attentionPool":
      return attentionPoolParams(layer.name, layer.cfg);
    case "silu":
    case "relu":
    case "timestepEmbedding":
    case "spatialMean":
    case "flatten":
      return [];
  }
}

export function blockParams(block: Block): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (const layer of block) specs.push(...layerParams(layer));
  return specs;
}

/** One layer on tfjs; ResBlocks also see the embedding, and drop out with `dropout`'s masks (null: inference). */
export function applyLayer(params: Params, layer: Layer, h: tf.Tensor, emb: tf.Tensor | null, dropout: DropoutMasks | null): tf.Tensor {
  switch (layer.kind) {
    case "conv":
      return conv2d(params, layer.name, h as tf.Tensor4D);
    case "resblock":
      if (!emb) throw new Error(`${layer.name}: a ResBlock needs the timestep embedding`);
      return resBlock(params, layer.name, layer.cfg, h as tf.Tensor4D, emb as tf.Tensor2D, dropout);
    case "attention":
      return attentionBlock(params, layer.name, layer.cfg, h as tf.Tensor4D);
    case "downsample":
      return downsample(params, layer.name, layer.cfg, h as tf.Tensor4D);
    case "upsample":
      return upsample(params, layer.name, layer.cfg, h as tf.Tensor4D);
    case "norm":
      if (h.rank === 4) return groupNorm32(params, layer.name, h as tf.Tensor4D);
      return tf.tidy(() => groupNorm32(params, layer.name, h.reshape([-1, 1, 1, layer.channels]) as tf.Tensor4D).reshape([-1, layer.channels]));
    case "silu":
      return silu(h);
    case "relu":
      return tf.relu(h);
    case "linear":
      return linear(params, layer.name, h);
    case "timestepEmbedding":
      return timestepEmbedding(h as tf.Tensor1D, layer.dim);
    case "embedding":
      return embedding(params, layer.name, h as tf.Tensor1D);
    case "spatialMean":
      return tf.mean(h, [1, 2], layer.keepDims);
    case "flatten":
      return h.reshape([h.shape[0], -1]);
    case "attentionPool":
      return attentionPool(params, layer.name, layer.cfg, h as tf.Tensor4D);
  }
}

/** The tfjs executor of a plan: NHWC tensors, channels last; each layer in its own tidy. */
export function tfExecutor(params: Params, dropout: DropoutMasks | null): Executor<tf.Tensor> {
  return {
    layer: (layer, h, emb) => tf.tidy(() => applyLayer(params, layer, h, emb, dropout)),
    add: (a, b) => tf.add(a, b),
    concat: (parts) => tf.concat(parts, parts[0].rank - 1),
  };
}
