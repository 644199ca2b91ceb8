/**
 * What every network here shares: parameters keyed by state_dict names, their specs (our layout and
 * PyTorch's), a training flag for dropout, and disposal; and the checks of a network's inputs.
 * lib/io loads weights into a Module, lib/train trains one, lib/models builds them.
 */
import * as tf from "@tensorflow/tfjs";
import { numel, type ParamSpec, type Params } from "./params";

/**
 * Where dropout's keep-masks come from while training: the mask for ResBlock `name`'s activations of
 * NHWC `shape`, each entry 0 (dropped, with probability `rate`) or 1 / (1 - rate). lib/train draws
 * them from the step's random stream, so that both executors drop the same units and a resumed run
 * repeats an uninterrupted one.
 */
export type DropoutMasks = (name: string, shape: readonly number[], rate: number) => Float32Array;

/** Keep-masks from Math.random: dropout for a training flag set by hand, outside lib/train's loop. */
export const unseededDropout: DropoutMasks = (_name, shape, rate) => {
  const keep = Math.fround(1 / (1 - rate));
  return Float32Array.from({ length: numel(shape) }, () => (Math.random() < rate ? 0 : keep));
};

export interface Module {
  /** variables keyed by guided-diffusion state_dict names, in our layout (conv HWIO, linear [in, out]) */
  readonly params: Params;
  /** the parameters' names, shapes and layouts, in state_dict order */
  readonly specs: readonly ParamSpec[];
  /** dropout is active only while true */
  training: boolean;
  /** where dropout's masks come from while training (default unseededDropout); lib/train sets it per step */
  dropoutMasks?: DropoutMasks | null;
  dispose(): void;
}

/** Layout of images passed to forward: NHWC (tfjs-native, the default) or NCHW (PyTorch). */
export interface ForwardOptions {
  dataFormat?: "NHWC" | "NCHW";
  /** what the sampling loop passes to every model; a tfjs forward answers at once, so it has nothing to stop */
  signal?: AbortSignal;
}

/** Check and convert an input image batch to NHWC. */
export function toNHWC(x: tf.Tensor4D, inChannels: number, opts: ForwardOptions | undefined, who: string): tf.Tensor4D {
  const nchw = opts?.dataFormat === "NCHW";
  const c = nchw ? x.shape[1] : x.shape[3];
  if (x.rank !== 4 || c !== inChannels) {
    throw new Error(`${who}: x must be [N, H, W, ${inChannels}] (NHWC${nchw ? "" : '; pass {dataFormat: "NCHW"} for [N, C, H, W]'}), got [${x.shape}]`);
  }
  if (x.dtype !== "float32") throw new Error(`${who}: x must be float32, got ${x.dtype}`);
  return nchw ? x.transpose([0, 2, 3, 1]) : x;
}

/** Check a timestep batch against the image batch. */
export function checkTimesteps(t: tf.Tensor1D, n: number, who: string): void {
  if (t.rank !== 1 || t.shape[0] !== n) throw new Error(`${who}: t must be a 1-D tensor of ${n} timesteps, got shape [${t.shape}]`);
}
