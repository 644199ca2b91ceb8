/**
 * Padding for the stride-1 convolutions that implement conv gradients. The geometry can ask for a
 * negative pad on a side (rows the gradient never touches); XNNPACK takes only non-negative pads,
 * so those rows are sliced off the input instead.
 */
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Info, slice } from "./wasm-ops";

/** Pads [top, bottom, left, right] for an NHWC tensor; any may be negative. */
export type SidePads = [number, number, number, number];

/**
 * Return `x` cropped by the negative pads and the remaining non-negative padding as
 * [[top, bottom], [left, right]]. `cropped` says whether `x` is a new TensorInfo to free.
 */
export function cropNegativePads(backend: BackendWasm, x: Info, pads: SidePads): { x: Info; padding: number[][]; cropped: boolean } {
  const [top, bottom, left, right] = pads;
  const padding = [
    [Math.max(top, 0), Math.max(bottom, 0)],
    [Math.max(left, 0), Math.max(right, 0)],
  ];
  if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) return { x, padding, cropped: false };
  const [b, h, w, c] = x.shape;
  const cropTop = Math.max(-top, 0);
  const cropLeft = Math.max(-left, 0);
  const keepH = h - cropTop - Math.max(-bottom, 0);
  const keepW = w - cropLeft - Math.max(-right, 0);
  const out = slice(backend, x, [0, cropTop, cropLeft, 0], [b, keepH, keepW, c]);
  return { x: out, padding, cropped: true };
}
