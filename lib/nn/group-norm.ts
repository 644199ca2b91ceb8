/**
 * GroupNorm32: nn.GroupNorm(32, C) with eps 1e-5 and biased variance, computed in float32
 * (guided-diffusion's `normalization(channels)`).
 */
import * as tf from "@tensorflow/tfjs";
import { Params, ParamSpec, param } from "./params";

export const GROUPS = 32;
export const GROUP_NORM_EPS = 1e-5;

/** Specs for `<name>.weight` (ones) and `<name>.bias` (zeros). */
export function groupNormParams(name: string, channels: number): ParamSpec[] {
  if (channels % GROUPS !== 0) {
    throw new Error(
      `${name}: GroupNorm32 needs a channel count divisible by ${GROUPS}, got ${channels}; pick model channels (num_channels x channel_mult) that are multiples of 32`,
    );
  }
  return [
    { name: `${name}.weight`, shape: [channels], layout: "same", init: { kind: "ones" } },
    { name: `${name}.bias`, shape: [channels], layout: "same", init: { kind: "zeros" } },
  ];
}

/** Normalise each of 32 channel groups over space and the group's channels, then apply the affine. */
export function groupNorm32(params: Params, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (c % GROUPS !== 0) throw new Error(`${name}: ${c} channels are not divisible by ${GROUPS} groups`);
  const gamma = param(params, `${name}.weight`);
  const beta = param(params, `${name}.bias`);
  return tf.tidy(() => {
    const grouped = x.reshape([b, h * w, GROUPS, c / GROUPS]);
    const { mean, variance } = tf.moments(grouped, [1, 3], true);
    const normed = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, GROUP_NORM_EPS)));
    return tf.add(tf.mul(normed.reshape([b, h, w, c]), gamma), beta) as tf.Tensor4D;
  });
}
