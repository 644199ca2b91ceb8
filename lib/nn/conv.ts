/**
 * nn.Conv2d in NHWC with HWIO weights. PyTorch's `padding=(k-1)/2` is symmetric on every side, also
 * with stride 2 on even sizes, where TF's "same" would pad only bottom/right: so padding is explicit.
 */
import * as tf from "@tensorflow/tfjs";
import { Params, ParamSpec, param } from "./params";

/**
 * Specs for `<name>.weight` `[k, k, in, out]` and `<name>.bias`; PyTorch default init
 * U(-1/sqrt(in*k*k), +...) or zeros for guided-diffusion's `zero_module`.
 */
export function conv2dParams(name: string, inChannels: number, outChannels: number, kernel: number, zero = false): ParamSpec[] {
  const bound = 1 / Math.sqrt(inChannels * kernel * kernel);
  const init = zero ? { kind: "zeros" as const } : { kind: "uniform" as const, bound };
  return [
    { name: `${name}.weight`, shape: [kernel, kernel, inChannels, outChannels], layout: "conv2d", init },
    { name: `${name}.bias`, shape: [outChannels], layout: "same", init },
  ];
}

/** Conv2d with padding (k-1)/2 on each side, like `conv_nd(2, in, out, k, stride=s, padding=(k-1)/2)`. */
export function conv2d(params: Params, name: string, x: tf.Tensor4D, stride: 1 | 2 = 1): tf.Tensor4D {
  const w = param(params, `${name}.weight`) as tf.Tensor4D;
  const b = param(params, `${name}.bias`);
  if (x.shape[3] !== w.shape[2]) {
    throw new Error(`${name}: input has ${x.shape[3]} channels, the weight expects ${w.shape[2]}`);
  }
  const pad = (w.shape[0] - 1) / 2;
  return tf.tidy(() => tf.add(tf.conv2d(x, w, stride, pad), b));
}
