/**
 * The geometry of a 2-D convolution (NHWC, dilation 1) as tfjs computes it, reduced to the numbers
 * our gradient kernels need.
 */
import * as tf from "@tensorflow/tfjs";

/** 'same', 'valid', a number, or explicit [[0,0],[top,bottom],[left,right],[0,0]]. */
type ConvPad = Parameters<typeof tf.backend_util.computeConv2DInfo>[4];

export interface ConvGeometry {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** padding tfjs applied above and left of x in the forward conv */
  top: number;
  left: number;
}

/** Geometry of the forward conv of x (`xShape`) with `filterShape` under the kernel's attrs. */
export function convGeometry(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap | undefined): ConvGeometry {
  const a = (attrs ?? {}) as { strides: number | [number, number]; pad: ConvPad; dataFormat?: string; dimRoundingMode?: "floor" | "round" | "ceil" };
  if (a.dataFormat !== undefined && a.dataFormat !== "NHWC") {
    throw new Error(`conv gradient on wasm supports NHWC only, got ${a.dataFormat}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  return {
    inH: info.inHeight,
    inW: info.inWidth,
    outH: info.outHeight,
    outW: info.outWidth,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}
