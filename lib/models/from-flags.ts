/**
 * guided-diffusion's `create_model` and `create_classifier`: flags -> typed configs -> networks.
 * Same rules as script_util.py: channel_mult defaults per image size, attention resolutions given as
 * resolutions and converted to downsample rates `image_size // r`, 1000 classes with class_cond,
 * 6 output channels with learn_sigma, classifiers with 64 channels per attention head.
 */
import type { EncoderUNetConfig, UNetConfig } from "./config";
import { EncoderUNetModel } from "./encoder-unet";
import { diffusionFlags, parseFlags, type DiffusionFlags, type FlagInput } from "./flags";
import { UNetModel } from "./unet";

export const NUM_CLASSES = 1000;

/** script_util's channel_mult for the image sizes it supports. */
export function defaultChannelMult(imageSize: number, flag = "image_size"): number[] {
  switch (imageSize) {
    case 512: return [0.5, 1, 1, 2, 2, 4, 4];
    case 256: return [1, 1, 2, 2, 4, 4];
    case 128: return [1, 1, 2, 3, 4];
    case 64: return [1, 2, 3, 4];
    default:
      throw new Error(`--${flag} ${imageSize} has no default channel_mult (guided-diffusion knows 64, 128, 256, 512); pass --channel_mult, e.g. "1,2,2"`);
  }
}

function numberList(text: string, flag: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((s) => s === "") || nums.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`--${flag} "${text}" must be comma-separated positive numbers`);
  return nums;
}

/** "32,16,8" resolutions -> downsample rates image_size // r. */
export function attentionRates(imageSize: number, resolutions: string, flag = "attention_resolutions"): number[] {
  return numberList(resolutions, flag).map((r) => Math.floor(imageSize / r));
}

/** UNetModel arguments from flags (create_model). */
export function unetConfigFromFlags(input: FlagInput): UNetConfig {
  const f = parseFlags(input);
  const imageSize = f.image_size;
  return {
    imageSize,
    inChannels: 3,
    modelChannels: f.num_channels,
    outChannels: f.learn_sigma ? 6 : 3,
    numResBlocks: f.num_res_blocks,
    attentionResolutions: attentionRates(imageSize, f.attention_resolutions),
    dropout: f.dropout,
    channelMult: f.channel_mult === "" ? defaultChannelMult(imageSize) : numberList(f.channel_mult, "channel_mult"),
    numClasses: f.class_cond ? NUM_CLASSES : null,
    useCheckpoint: f.use_checkpoint,
    useFp16: f.use_fp16,
    numHeads: f.num_heads,
    numHeadChannels: f.num_head_channels,
    numHeadsUpsample: f.num_heads_upsample,
    useScaleShiftNorm: f.use_scale_shift_norm,
    resblockUpdown: f.resblock_updown,
    useNewAttentionOrder: f.use_new_attention_order,
  };
}

/** EncoderUNetModel arguments from classifier flags (create_classifier). */
export function classifierConfigFromFlags(input: FlagInput): EncoderUNetConfig {
  const f = parseFlags(input);
  const imageSize = f.image_size;
  return {
    imageSize,
    inChannels: 3,
    modelChannels: f.classifier_width,
    outChannels: NUM_CLASSES,
    numResBlocks: f.classifier_depth,
    attentionResolutions: attentionRates(imageSize, f.classifier_attention_resolutions, "classifier_attention_resolutions"),
    channelMult: defaultChannelMult(imageSize),
    useFp16: f.classifier_use_fp16,
    numHeadChannels: 64,
    useScaleShiftNorm: f.classifier_use_scale_shift_norm,
    resblockUpdown: f.classifier_resblock_updown,
    pool: f.classifier_pool,
  };
}

/**
 * Build a UNetModel from guided-diffusion flags, e.g. a README MODEL_FLAGS string. Diffusion flags
 * (--diffusion_steps, --noise_schedule ...) are accepted and returned in `diffusion`; sampling and
 * training flags are accepted and ignored.
 */
export function createModel(input: FlagInput): UNetModel {
  return new UNetModel(unetConfigFromFlags(input));
}

/** Like createModel, also returning the config and the diffusion flags for the diffusion code. */
export function createModelAndFlags(input: FlagInput): { model: UNetModel; config: UNetConfig; diffusion: DiffusionFlags } {
  const flags = parseFlags(input);
  const config = unetConfigFromFlags(flags);
  return { model: new UNetModel(config), config, diffusion: diffusionFlags(flags) };
}

/** Build the noisy classifier from guided-diffusion's classifier flags (--classifier_depth ...). */
export function createClassifier(input: FlagInput): EncoderUNetModel {
  return new EncoderUNetModel(classifierConfigFromFlags(input));
}
