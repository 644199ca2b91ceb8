/**
 * A released architecture at a fraction of its width and resolution: the same blocks in the same
 * places (channel_mult, num_res_blocks / classifier depth, attention at the same downsample rates,
 * head layout, attention order, BigGAN up/down, AdaGN, class conditioning, learned sigma), with the
 * first level `width` channels wide (32 by default, the least GroupNorm's 32 groups allow) and
 * fewer pixels. These are the stand-ins of notebook 09 when the checkpoints are absent, and the
 * families of the goldens against guided-diffusion (test/fixtures/models/make_golden.py).
 */
import type { EncoderUNetConfig, UNetConfig } from "./config";

export interface ReduceOptions {
  /** channels of the first level, int(channel_mult[0] * model_channels); a multiple of 32 (default 32) */
  width?: number;
  /** pixels across the deepest level (default 2): imageSize = deepest * 2^(levels - 1) */
  deepest?: number;
  /** the image size itself (overrides `deepest`); a multiple of 2^(levels - 1) */
  imageSize?: number;
  /** channels per attention head where the original sets num_head_channels (default 16) */
  headChannels?: number;
}

function reduce<T extends UNetConfig | EncoderUNetConfig>(c: T, opts: ReduceOptions, what: string): T {
  const mult = c.channelMult ?? [1, 2, 4, 8];
  const width = opts.width ?? 32;
  const modelChannels = width / mult[0];
  const levels = mult.map((m) => Math.floor(m * modelChannels));
  if (!Number.isInteger(modelChannels) || levels.some((ch) => ch % 32 !== 0)) {
    throw new Error(`${what}: width ${width} with channel_mult [${mult}] gives level widths [${levels}]; each must be a multiple of 32 (GroupNorm's groups)`);
  }
  const headChannels = opts.headChannels ?? 16;
  const numHeadChannels = c.numHeadChannels !== undefined && c.numHeadChannels !== -1 ? headChannels : c.numHeadChannels;
  const halvings = 2 ** (mult.length - 1);
  const imageSize = opts.imageSize ?? (opts.deepest ?? 2) * halvings;
  if (!Number.isInteger(imageSize / halvings) || imageSize < halvings) throw new Error(`${what}: imageSize ${imageSize} must be a multiple of ${halvings} (${mult.length} levels halve it ${mult.length - 1} times)`);
  return { ...c, modelChannels, imageSize, numHeadChannels };
}

/** The UNet of `c` reduced (see the file's comment). */
export function reducedUNetConfig(c: UNetConfig, opts: ReduceOptions = {}): UNetConfig {
  return reduce(c, opts, "reducedUNetConfig");
}

/** The noisy classifier of `c` reduced (see the file's comment). */
export function reducedClassifierConfig(c: EncoderUNetConfig, opts: ReduceOptions = {}): EncoderUNetConfig {
  return reduce(c, opts, "reducedClassifierConfig");
}
