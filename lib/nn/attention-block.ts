/**
 * AttentionBlock: self-attention over all spatial positions, `x + proj_out(attention(qkv(norm(x))))`,
 * with `qkv` and `proj_out` 1x1 Conv1d (proj_out zero-initialised, as guided-diffusion's zero_module).
 */
import * as tf from "@tensorflow/tfjs";
import { groupNorm32, groupNormParams } from "./group-norm";
import { linear, linearParams } from "./linear";
import { Params, ParamSpec } from "./params";
import { AttentionOrder, attentionHeads, attentionWeights, qkvAttention, splitQkv } from "./qkv-attention";

export interface AttentionBlockConfig {
  channels: number;
  /** number of heads, used when numHeadChannels is -1 */
  numHeads: number;
  /** channels per head; overrides numHeads unless -1 */
  numHeadChannels: number;
  order: AttentionOrder;
}

export function attentionBlockParams(name: string, cfg: AttentionBlockConfig): ParamSpec[] {
  const c = cfg.channels;
  attentionHeads(name, c, cfg.numHeads, cfg.numHeadChannels);
  return [...groupNormParams(`${name}.norm`, c), ...linearParams(`${name}.qkv`, c, 3 * c, "conv1d"), ...linearParams(`${name}.proj_out`, c, c, "conv1d", true)];
}

/** The block's q, k, v projections of the normalised tokens (positions in row-major order, y * W + x). */
function blockQkv(params: Params, name: string, x: tf.Tensor4D): tf.Tensor3D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => linear(params, `${name}.qkv`, groupNorm32(params, `${name}.norm`, x).reshape([n, h * w, c]) as tf.Tensor3D));
}

export function attentionBlock(params: Params, name: string, cfg: AttentionBlockConfig, x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const heads = attentionHeads(name, c, cfg.numHeads, cfg.numHeadChannels);
  return tf.tidy(() => {
    const a = linear(params, `${name}.proj_out`, qkvAttention(blockQkv(params, name, x), heads, cfg.order));
    return tf.add(x, a.reshape([n, h, w, c])) as tf.Tensor4D;
  });
}

/**
 * The block's attention maps for input `x` `[N, H, W, C]`: `[N, heads, H*W, H*W]`, entry [b, head,
 * i, j] = how much query position i (row-major, y * W + x) reads key position j; rows sum to 1.
 */
export function attentionBlockWeights(params: Params, name: string, cfg: AttentionBlockConfig, x: tf.Tensor4D): tf.Tensor4D {
  const heads = attentionHeads(name, x.shape[3], cfg.numHeads, cfg.numHeadChannels);
  return tf.tidy(() => {
    const { q, k } = splitQkv(blockQkv(params, name, x), heads, cfg.order);
    return attentionWeights(q, k);
  });
}
