/**
 * Downsample (3x3 stride-2 conv, or 2x2 average pool) and Upsample (nearest x2, then an optional 3x3
 * conv), the resampling layers of guided-diffusion, plus the bare resampling ops ResBlock(up/down) uses.
 */
import * as tf from "@tensorflow/tfjs";
import { conv2d, conv2dParams } from "./conv";
import { Params, ParamSpec } from "./params";

export interface ResampleConfig {
  channels: number;
  /** learned 3x3 conv (`conv_resample`), else pooling / plain nearest */
  useConv: boolean;
  outChannels?: number;
}

/** 2x2 average pool with stride 2 (odd sizes floor, as nn.AvgPool2d(2)). */
export function avgPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 2, 2, "valid");
}

/** Nearest-neighbour x2 (F.interpolate(scale_factor=2, mode="nearest")). */
export function nearest2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2]);
}

/** Specs of `Downsample`: `<name>.op` when it is a conv; none for pooling. */
export function downsampleParams(name: string, cfg: ResampleConfig): ParamSpec[] {
  const out = cfg.outChannels ?? cfg.channels;
  if (!cfg.useConv && out !== cfg.channels) throw new Error(`${name}: pooling cannot change channels ${cfg.channels} -> ${out}`);
  return cfg.useConv ? conv2dParams(`${name}.op`, cfg.channels, out, 3) : [];
}

export function downsample(params: Params, name: string, cfg: ResampleConfig, x: tf.Tensor4D): tf.Tensor4D {
  return cfg.useConv ? conv2d(params, `${name}.op`, x, 2) : avgPool2(x);
}

/** Specs of `Upsample`: `<name>.conv` when it has a conv. */
export function upsampleParams(name: string, cfg: ResampleConfig): ParamSpec[] {
  return cfg.useConv ? conv2dParams(`${name}.conv`, cfg.channels, cfg.outChannels ?? cfg.channels, 3) : [];
}

export function upsample(params: Params, name: string, cfg: ResampleConfig, x: tf.Tensor4D): tf.Tensor4D {
  if (!cfg.useConv) return nearest2(x);
  return tf.tidy(() => conv2d(params, `${name}.conv`, nearest2(x)));
}
