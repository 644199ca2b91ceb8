/**
 * Conv2DBackpropFilter for the wasm backend (which lacks it), built from one XNNPACK Conv2D.
 *
 * The "transpose trick": dW[ky,kx,ci,co] = sum_{b,oy,ox} x[b, oy*s+ky-pt, ox*s+kx-pl, ci] * dy[b,oy,ox,co].
 * Read x as a batch of Ci images with B channels ([Ci,H,W,B]) and dy as an Ho x Wo filter with B input
 * and Co output channels ([Ho,Wo,B,Co]); then dW is a stride-1 convolution of the two whose
 * dilation is the original stride, and its [Ci,kh,kw,Co] output is dW up to a transpose.
 */
import * as tf from "@tensorflow/tfjs";
import { cropNegativePads } from "./conv-padding";
import { KernelArgs, Info, conv2dStride1, free, transpose } from "./wasm-ops";
import { convGeometry } from "./conv-geometry";

/** Kernel function for `Conv2DBackpropFilter` on wasm (inputs x, dy; attrs as tfjs passes them). */
export function conv2dBackpropFilterWasm({ inputs, backend, attrs }: KernelArgs<"x" | "dy">): Info {
  const { x, dy } = inputs;
  const g = convGeometry(x.shape, attrs?.filterShape as number[], attrs);
  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  // Output height of the dilated conv must be kh: kh = H + top + bottom - ((Ho-1)*sh + 1) + 1.
  const bottom = g.kh + (g.outH - 1) * g.sh - g.inH - g.top;
  const right = g.kw + (g.outW - 1) * g.sw - g.inW - g.left;
  const fit = cropNegativePads(backend, xT, [g.top, bottom, g.left, right]);
  const dwT = conv2dStride1(backend, fit.x, dyT, fit.padding, [g.sh, g.sw]);
  const dw = transpose(backend, dwT, [1, 2, 0, 3]);
  free(backend, xT, dyT, dwT);
  if (fit.cropped) free(backend, fit.x);
  return dw;
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
};
