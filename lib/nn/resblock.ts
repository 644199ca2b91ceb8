/**
 * ResBlock of guided-diffusion: GN -> SiLU -> conv, timestep conditioning, GN -> SiLU -> dropout -> conv,
 * plus a skip connection. Conditioning is either additive (`h + emb`) or AdaGN
 * (`use_scale_shift_norm`: `GN(h) * (1 + scale) + shift`, scale first). With BigGAN-style `up`/`down`
 * the resampling sits between SiLU and the first conv, and x is resampled the same way.
 */
import * as tf from "@tensorflow/tfjs";
import { conv2d, conv2dParams } from "./conv";
import { groupNorm32, groupNormParams } from "./group-norm";
import { linear, linearParams } from "./linear";
import type { DropoutMasks } from "./module";
import { Params, ParamSpec } from "./params";
import { avgPool2, nearest2 } from "./resample";
import { silu } from "./silu";

export interface ResBlockConfig {
  channels: number;
  embChannels: number;
  outChannels: number;
  dropout: number;
  useScaleShiftNorm: boolean;
  up: boolean;
  down: boolean;
}

/**
 * Specs in state_dict order: in_layers.{0,2}, emb_layers.1, out_layers.{0,3} (zero-initialised, as
 * guided-diffusion's zero_module), skip_connection (1x1 conv, only when the channel count changes).
 */
export function resBlockParams(name: string, cfg: ResBlockConfig): ParamSpec[] {
  const { channels: c, outChannels: o } = cfg;
  const specs = [
    ...groupNormParams(`${name}.in_layers.0`, c),
    ...conv2dParams(`${name}.in_layers.2`, c, o, 3),
    ...linearParams(`${name}.emb_layers.1`, cfg.embChannels, cfg.useScaleShiftNorm ? 2 * o : o),
    ...groupNormParams(`${name}.out_layers.0`, o),
    ...conv2dParams(`${name}.out_layers.3`, o, o, 3, true),
  ];
  if (o !== c) specs.push(...conv2dParams(`${name}.skip_connection`, c, o, 1));
  return specs;
}

/**
 * @param x `[N, H, W, channels]`
 * @param emb `[N, embChannels]`
 * @param dropout where the keep-masks come from while training; null (inference): no dropout
 * @returns `[N, H', W', outChannels]` (H' = 2H with up, floor(H/2) with down)
 */
export function resBlock(params: Params, name: string, cfg: ResBlockConfig, x: tf.Tensor4D, emb: tf.Tensor2D, dropout: DropoutMasks | null): tf.Tensor4D {
  return tf.tidy(() => {
    let h = silu(groupNorm32(params, `${name}.in_layers.0`, x));
    if (cfg.up) {
      h = nearest2(h);
      x = nearest2(x);
    } else if (cfg.down) {
      h = avgPool2(h);
      x = avgPool2(x);
    }
    h = conv2d(params, `${name}.in_layers.2`, h);
    const o = cfg.outChannels;
    const e = linear(params, `${name}.emb_layers.1`, silu(emb));
    if (cfg.useScaleShiftNorm) {
      h = adaGN(params, `${name}.out_layers.0`, h, e);
    } else {
      h = groupNorm32(params, `${name}.out_layers.0`, tf.add(h, e.reshape([-1, 1, 1, o])) as tf.Tensor4D);
    }
    h = silu(h);
    if (dropout && cfg.dropout > 0) h = tf.mul(h, tf.tensor(dropout(name, h.shape, cfg.dropout), h.shape, "float32")) as tf.Tensor4D;
    h = conv2d(params, `${name}.out_layers.3`, h);
    const skip = o === cfg.channels ? x : conv2d(params, `${name}.skip_connection`, x);
    return tf.add(skip, h) as tf.Tensor4D;
  });
}

/**
 * Adaptive group normalisation, AdaGN(h, y) = y_s GroupNorm(h) + y_b (ADM section 3), on `h`
 * `[N, H, W, C]` with `e` `[N, 2C]`, the ResBlock's projection of the timestep (and class)
 * embedding: its first C columns are `scale`, the last C `shift`, and y_s = 1 + scale, y_b = shift,
 * as guided-diffusion's `out_norm(h) * (1 + scale) + shift`. GroupNorm keeps its own affine
 * (`<name>.weight`, `<name>.bias`).
 */
export function adaGN(params: Params, name: string, h: tf.Tensor4D, e: tf.Tensor2D): tf.Tensor4D {
  const c = h.shape[3];
  if (e.rank !== 2 || e.shape[0] !== h.shape[0] || e.shape[1] !== 2 * c) {
    throw new Error(`${name}: AdaGN needs the embedding projection as [${h.shape[0]}, ${2 * c}] (scale then shift for ${c} channels), got [${e.shape}]`);
  }
  return tf.tidy(() => {
    const scale = e.slice([0, 0], [-1, c]).reshape([-1, 1, 1, c]);
    const shift = e.slice([0, c], [-1, c]).reshape([-1, 1, 1, c]);
    return tf.add(tf.mul(groupNorm32(params, name, h), tf.add(scale, 1)), shift) as tf.Tensor4D;
  });
}
