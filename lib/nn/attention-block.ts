/**
 * AttentionBlock: self-attention over all spatial positions, `x + proj_out(attention(qkv(norm(x))))`,
 * with `qkv` and `proj_out` 1x1 Conv1d (proj_out zero-initialised, as guided-diffusion's zero_module).
 */
import * as tf from "@tensorflow/tfjs";
import { groupNorm32, groupNormParams } from "./group-norm";
import { linear, linearParams } from "./linear";
import { Params, ParamSpec } from "./params";
import { AttentionOrder, attentionHeads, qkvAttention } from "./qkv-attention";

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
  return [
    ...groupNormParams(`${name}.norm`, c),
    ...linearParams(`${name}.qkv`, c, 3 * c, "conv1d"),
    ...linearParams(`${name}.proj_out`, c, c, "conv1d", true),
  ];
}

export function attentionBlock(params: Params, name: string, cfg: AttentionBlockConfig, x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const heads = attentionHeads(name, c, cfg.numHeads, cfg.numHeadChannels);
  return tf.tidy(() => {
    const tokens = groupNorm32(params, `${name}.norm`, x).reshape([n, h * w, c]) as tf.Tensor3D;
    const qkv = linear(params, `${name}.qkv`, tokens);
    const a = linear(params, `${name}.proj_out`, qkvAttention(qkv, heads, cfg.order));
    return tf.add(x, a.reshape([n, h, w, c])) as tf.Tensor4D;
  });
}
