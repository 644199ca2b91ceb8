/**
 * AttentionPool2d, the noisy classifier's head (adapted by guided-diffusion from CLIP): the spatial mean
 * is prepended as token 0, a learned positional embedding is added, one multi-head attention layer runs
 * in the new q/k/v order with `channels / numHeadChannels` heads, and token 0 of `c_proj` is the output.
 */
import * as tf from "@tensorflow/tfjs";
import { linear, linearParams } from "./linear";
import { Params, ParamSpec, param } from "./params";
import { attentionHeads, qkvAttention } from "./qkv-attention";

export interface AttentionPoolConfig {
  /** side of the square feature map (image_size // ds) */
  spatialDim: number;
  channels: number;
  numHeadChannels: number;
  outChannels: number;
}

/** Specs: positional_embedding (ours `[S*S+1, C]`, PyTorch `[C, S*S+1]`, init N(0, 1/C)), qkv_proj, c_proj. */
export function attentionPoolParams(name: string, cfg: AttentionPoolConfig): ParamSpec[] {
  const c = cfg.channels;
  attentionHeads(name, c, 1, cfg.numHeadChannels);
  return [
    { name: `${name}.positional_embedding`, shape: [cfg.spatialDim ** 2 + 1, c], layout: "transposed", init: { kind: "normal", std: 1 / Math.sqrt(c) } },
    ...linearParams(`${name}.qkv_proj`, c, 3 * c, "conv1d"),
    ...linearParams(`${name}.c_proj`, c, cfg.outChannels, "conv1d"),
  ];
}

/** `[N, S, S, C]` -> `[N, outChannels]`. */
export function attentionPool(params: Params, name: string, cfg: AttentionPoolConfig, x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  if (h !== cfg.spatialDim || w !== cfg.spatialDim) {
    throw new Error(
      `${name}: expects a ${cfg.spatialDim}x${cfg.spatialDim} feature map, got ${h}x${w}; the input image size must match the classifier's image_size`,
    );
  }
  const heads = attentionHeads(name, c, 1, cfg.numHeadChannels);
  return tf.tidy(() => {
    const tokens = x.reshape([n, h * w, c]);
    const withMean = tf.concat([tf.mean(tokens, 1, true), tokens], 1);
    const pos = param(params, `${name}.positional_embedding`);
    const qkv = linear(params, `${name}.qkv_proj`, tf.add(withMean, pos) as tf.Tensor3D);
    const first = qkvAttention(qkv, heads, "new").slice([0, 0, 0], [n, 1, c]).reshape([n, c]) as tf.Tensor2D;
    return linear(params, `${name}.c_proj`, first);
  });
}
