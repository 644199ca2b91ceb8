/** Shared by the golden tests: the fixtures' model configs, fixture paths, NCHW <-> NHWC, max abs difference. */
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { hashedUniform, readNpz, TensorRecord, toFloat32 } from "../../lib/io";
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

/**
 * The released checkpoints' architectures at reduced width (lib/models/reduced.ts), as
 * make_golden.py's released_cases builds them in guided-diffusion: hashed weights with these seeds,
 * and the 512x512 family at 64x64 pixels.
 */
export interface ReleasedFamily {
  name: string;
  checkpoint: string;
  seed: number;
  kind: "diffusion" | "classifier";
  imageSize?: number;
}

export const RELEASED_FAMILIES: ReleasedFamily[] = [
  { name: "released_64x64_diffusion", checkpoint: "64x64_diffusion", seed: 101, kind: "diffusion" },
  { name: "released_128x128_diffusion", checkpoint: "128x128_diffusion", seed: 102, kind: "diffusion" },
  { name: "released_256x256_diffusion", checkpoint: "256x256_diffusion", seed: 103, kind: "diffusion" },
  { name: "released_256x256_diffusion_uncond", checkpoint: "256x256_diffusion_uncond", seed: 104, kind: "diffusion" },
  { name: "released_512x512_diffusion", checkpoint: "512x512_diffusion", seed: 105, kind: "diffusion", imageSize: 64 },
  { name: "released_64x64_classifier", checkpoint: "64x64_classifier", seed: 106, kind: "classifier" },
  { name: "released_128x128_classifier", checkpoint: "128x128_classifier", seed: 107, kind: "classifier" },
  { name: "released_256x256_classifier", checkpoint: "256x256_classifier", seed: 108, kind: "classifier" },
  { name: "released_512x512_classifier", checkpoint: "512x512_classifier", seed: 109, kind: "classifier", imageSize: 64 },
];

/** The names and PyTorch shapes of guided-diffusion's state_dict, as make_golden.py recorded them (sorted). */
export function goldenNames(g: Map<string, TensorRecord>): [string, number[]][] {
  const listing = JSON.parse(Buffer.from(g.get("names")!.data as Uint8Array).toString("utf8")) as [string, number[]][];
  return listing.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** make_golden.py's x for a released family: hashed "x" values, NCHW [2, 3, S, S], as an NHWC tensor. */
export function hashedInput(seed: number, size: number): tf.Tensor4D {
  const x = Float32Array.from(hashedUniform("x", 2 * 3 * size * size, seed));
  return tf.tidy(() => tf.tensor4d(x, [2, 3, size, size]).transpose([0, 2, 3, 1]));
}
