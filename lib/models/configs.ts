/**
 * The paper's Table 11 models and the released classifiers, as guided-diffusion's README flags, and
 * parameter counting from shapes alone (nothing allocated).
 */
import { countSpecs } from "../nn/index";
import { EncoderUNetConfig, UNetConfig, resolveEncoderConfig, resolveUNetConfig } from "./config";
import { classifierConfigFromFlags, unetConfigFromFlags } from "./from-flags";
import { networkFlagsGiven, type FlagInput } from "./flags";
import { encoderParamSpecs, unetParamSpecs } from "./unet-params";

/** MODEL_FLAGS of guided-diffusion's README for the Table 11 models (LSUN: the bedroom model). */
export const TABLE_11_MODELS = {
  lsun256: "--attention_resolutions 32,16,8 --class_cond False --diffusion_steps 1000 --dropout 0.1 --image_size 256 --learn_sigma True --noise_schedule linear --num_channels 256 --num_head_channels 64 --num_res_blocks 2 --resblock_updown True --use_fp16 True --use_scale_shift_norm True",
  imagenet64: "--attention_resolutions 32,16,8 --class_cond True --diffusion_steps 1000 --dropout 0.1 --image_size 64 --learn_sigma True --noise_schedule cosine --num_channels 192 --num_head_channels 64 --num_res_blocks 3 --resblock_updown True --use_new_attention_order True --use_fp16 True --use_scale_shift_norm True",
  imagenet128: "--attention_resolutions 32,16,8 --class_cond True --diffusion_steps 1000 --image_size 128 --learn_sigma True --noise_schedule linear --num_channels 256 --num_heads 4 --num_res_blocks 2 --resblock_updown True --use_fp16 True --use_scale_shift_norm True",
  imagenet256: "--attention_resolutions 32,16,8 --class_cond True --diffusion_steps 1000 --image_size 256 --learn_sigma True --noise_schedule linear --num_channels 256 --num_head_channels 64 --num_res_blocks 2 --resblock_updown True --use_fp16 True --use_scale_shift_norm True",
  imagenet512: "--attention_resolutions 32,16,8 --class_cond True --diffusion_steps 1000 --image_size 512 --learn_sigma True --noise_schedule linear --num_channels 256 --num_head_channels 64 --num_res_blocks 2 --resblock_updown True --use_fp16 False --use_scale_shift_norm True",
};

const CLASSIFIER_COMMON = "--classifier_attention_resolutions 32,16,8 --classifier_width 128 --classifier_pool attention --classifier_resblock_updown True --classifier_use_scale_shift_norm True --classifier_use_fp16 True";

/** Flags of the released noisy ImageNet classifiers (the 64x64 one has depth 4). */
export const RELEASED_CLASSIFIERS = {
  imagenet64: `--image_size 64 --classifier_depth 4 ${CLASSIFIER_COMMON}`,
  imagenet128: `--image_size 128 --classifier_depth 2 ${CLASSIFIER_COMMON}`,
  imagenet256: `--image_size 256 --classifier_depth 2 ${CLASSIFIER_COMMON}`,
  imagenet512: `--image_size 512 --classifier_depth 2 ${CLASSIFIER_COMMON}`,
};

/**
 * Parameters of the network that guided-diffusion flags describe, without allocating anything: the
 * classifier (create_classifier) when they set classifier flags (--classifier_depth ...), else the
 * UNet (create_model). Flags of both networks at once, as classifier_sample.py takes them, are
 * refused: count MODEL_FLAGS and CLASSIFIER_FLAGS one call each.
 */
export function countParameters(flags: FlagInput): number {
  const given = networkFlagsGiven(flags);
  if (given.unet.length > 0 && given.classifier.length > 0) {
    const names = (list: string[]): string => list.map((n) => `--${n}`).join(", ");
    throw new Error(
      `countParameters: these flags describe a UNet (${names(given.unet)}) and a classifier (${names(given.classifier)}); ` +
        "call it once with the model's flags and once with the classifier's",
    );
  }
  return given.classifier.length > 0 ? countEncoderParameters(classifierConfigFromFlags(flags)) : countUNetParameters(unetConfigFromFlags(flags));
}

/** Parameters of a UNetModel with this config. */
export function countUNetParameters(config: UNetConfig): number {
  return countSpecs(unetParamSpecs(resolveUNetConfig(config)));
}

/** Parameters of an EncoderUNetModel (the noisy classifier) with this config. */
export function countEncoderParameters(config: EncoderUNetConfig): number {
  return countSpecs(encoderParamSpecs(resolveEncoderConfig(config)));
}
