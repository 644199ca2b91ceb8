/** Shared by the golden tests: the fixtures' model configs, fixture paths, NCHW <-> NHWC, max abs difference. */
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { readNpz, TensorRecord, toFloat32 } from "../../lib/io";
import { EncoderUNetConfig, UNetConfig } from "../../lib/models";

// The constructor arguments make_golden.py passes to guided-diffusion's UNetModel ...
const common = { imageSize: 8, inChannels: 3, numResBlocks: 0, channelMult: [1, 1] };
export const GOLDEN_UNETS: Record<string, UNetConfig> = {
  /** class-conditional AdaGN, BigGAN up/down, new attention order, num_head_channels, learn_sigma */
  unet_adagn_updown_new: { ...common, modelChannels: 32, outChannels: 6, attentionResolutions: [2], dropout: 0.1, numClasses: 10, numHeadChannels: 16, useScaleShiftNorm: true, resblockUpdown: true, useNewAttentionOrder: true },
  /** legacy attention order, num_heads 2, fractional channel_mult, pooling resample */
  unet_legacy_heads_frac: { ...common, modelChannels: 64, outChannels: 3, attentionResolutions: [1, 2], channelMult: [0.5, 0.5], numHeads: 2, useScaleShiftNorm: true, convResample: false },
  /** plain variant: additive embedding, conv resample */
  unet_plain_convresample: { ...common, modelChannels: 32, outChannels: 3, attentionResolutions: [2], numHeads: 1, useScaleShiftNorm: false, convResample: true },
};

// ... and to its EncoderUNetModel
export const GOLDEN_CLASSIFIERS: Record<string, EncoderUNetConfig> = {
  classifier_attention: {
    imageSize: 8, inChannels: 3, modelChannels: 32, outChannels: 10, numResBlocks: 1, attentionResolutions: [2], channelMult: [1, 1],
    numHeadChannels: 16, useScaleShiftNorm: true, resblockUpdown: true, pool: "attention",
  },
  classifier_adaptive: {
    imageSize: 8, inChannels: 3, modelChannels: 32, outChannels: 10, numResBlocks: 0, attentionResolutions: [1], channelMult: [1],
    numHeadChannels: 16, useScaleShiftNorm: false, pool: "adaptive",
  },
};

export const FIXTURES = path.resolve(__dirname, "../fixtures/models");

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** Arrays of a golden .npz, keyed by name. */
export function golden(name: string): Map<string, TensorRecord> {
  return readNpz(fixture(`${name}.npz`));
}

/** An NCHW float record as an NHWC tensor. */
export function nhwc(r: TensorRecord): tf.Tensor4D {
  return tf.tidy(() => tf.tensor4d(toFloat32(r), r.shape as [number, number, number, number]).transpose([0, 2, 3, 1]));
}

/** An int64 record as an int32 1-D tensor. */
export function ints(r: TensorRecord): tf.Tensor1D {
  return tf.tensor1d(Array.from(r.data as BigInt64Array, Number), "int32");
}

/** max |a - b| over all elements. */
export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}
