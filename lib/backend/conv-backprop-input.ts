/**
 * Conv2DBackpropInput for the wasm backend as one XNNPACK Conv2D (the stock wasm kernel is a naive
 * loop, about 13x slower).
 *
 * dx[b,iy,ix,ci] = sum dy[b,oy,ox,co] * w[ky,kx,ci,co] over oy*s+ky-pt = iy (and the same for x).
 * Spread dy out with s-1 zeros after every row and column, so that output row oy sits at oy*s; then
 * dx is a stride-1 "full" correlation of that with the filter flipped in space and with its channel
 * axes swapped, padded by kh-1-pt above.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { cropNegativePads } from "./conv-padding";
import { convGeometry } from "./conv-geometry";
import { KernelArgs, Info, conv2dStride1, free, pad, reshape, reverse, transpose } from "./wasm-ops";

/** dy [B,Ho,Wo,C] -> [B,Ho*sh,Wo*sw,C] with dy[b,oy,ox] at row oy*sh, column ox*sw and zeros elsewhere. */
function zeroDilate(backend: BackendWasm, dy: Info, sh: number, sw: number): Info {
  const [b, h, w, c] = dy.shape;
  // A size-1 axis after each spatial axis, padded to the stride, interleaves the zeros.
  const split = reshape(backend, dy, [b, h, 1, w, 1, c]);
  const padded = pad(backend, split, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const out = reshape(backend, padded, [b, h * sh, w * sw, c]);
  free(backend, split, padded);
  return out;
}

/** Kernel function for `Conv2DBackpropInput` on wasm (inputs dy, filter; attrs as tfjs passes them). */
export function conv2dBackpropInputWasm({ inputs, backend, attrs }: KernelArgs<"dy" | "filter">): Info {
  const { dy, filter } = inputs;
  const g = convGeometry(attrs?.inputShape as number[], filter.shape, attrs);
  const spread = g.sh > 1 || g.sw > 1 ? zeroDilate(backend, dy, g.sh, g.sw) : dy;
  const flipped = reverse(backend, filter, [0, 1]);
  const wT = transpose(backend, flipped, [0, 1, 3, 2]);
  // Output height must be H: H = Ho*sh + top + bottom - kh + 1.
  const top = g.kh - 1 - g.top;
  const left = g.kw - 1 - g.left;
  const bottom = g.inH - g.outH * g.sh + g.kh - 1 - top;
  const right = g.inW - g.outW * g.sw + g.kw - 1 - left;
  const fit = cropNegativePads(backend, spread, [top, bottom, left, right]);
  const dx = conv2dStride1(backend, fit.x, wT, fit.padding, [1, 1]);
  free(backend, flipped, wT);
  if (spread !== dy) free(backend, spread);
  if (fit.cropped) free(backend, fit.x);
  return dx;
}

export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropInput",
  backendName: "wasm",
  kernelFunc: conv2dBackpropInputWasm as unknown as tf.KernelFunc,
};
