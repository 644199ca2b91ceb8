/**
 * nn.Linear, and the 1x1 nn.Conv1d that guided-diffusion's attention uses as a linear map over channels.
 * Weights are stored `[in, out]` so that `y = x W + b` is one matMul over the flattened leading axes.
 */
import * as tf from "@tensorflow/tfjs";
import { Params, ParamSpec, param } from "./params";

/**
 * Specs for `<name>.weight` and `<name>.bias` with PyTorch's default init, U(-1/sqrt(in), 1/sqrt(in)).
 * `layout` is "conv1d" for guided-diffusion's `conv_nd(1, in, out, 1)` and "linear" for `nn.Linear`.
 */
export function linearParams(name: string, inFeatures: number, outFeatures: number, layout: "linear" | "conv1d" = "linear", zero = false): ParamSpec[] {
  const bound = 1 / Math.sqrt(inFeatures);
  const init = zero ? { kind: "zeros" as const } : { kind: "uniform" as const, bound };
  return [
    { name: `${name}.weight`, shape: [inFeatures, outFeatures], layout, init },
    { name: `${name}.bias`, shape: [outFeatures], layout: "same", init },
  ];
}

/** `x W + b` over the last axis of `x` (any rank >= 2). */
export function linear<T extends tf.Tensor>(params: Params, name: string, x: T): T {
  const w = param(params, `${name}.weight`) as tf.Tensor2D;
  const b = param(params, `${name}.bias`);
  const inF = w.shape[0];
  const outF = w.shape[1];
  if (x.shape[x.rank - 1] !== inF) {
    throw new Error(`${name}: input has ${x.shape[x.rank - 1]} features, the weight expects ${inF}`);
  }
  return tf.tidy(() => {
    const flat = x.rank === 2 ? (x as unknown as tf.Tensor2D) : (x.reshape([-1, inF]) as tf.Tensor2D);
    const y = tf.add(tf.matMul(flat, w), b);
    return (x.rank === 2 ? y : y.reshape([...(x.shape as number[]).slice(0, -1), outF])) as T;
  });
}
