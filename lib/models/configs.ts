/**
 * The paper's Table 11 models and the released classifiers, as guided-diffusion's README flags, and
 * parameter counting from shapes alone (nothing allocated).
 */
import { countSpecs } from "../nn/index";
import { EncoderUNetConfig, UNetConfig, resolveEncoderConfig, resolveUNetConfig } from "./config";
import { classifierConfigFromFlags, unetConfigFromFlags } from "./from-flags";
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

/** Parameters of a UNetModel built from flags (or a config), without allocating anything. */
export function countParameters(flags: string | Record<string, unknown>): number {
  return countUNetParameters(unetConfigFromFlags(flags));
}

/** Parameters of a classifier built from classifier flags, without allocating anything. */
export function countClassifierParameters(flags: string | Record<string, unknown>): number {
  return countEncoderParameters(classifierConfigFromFlags(flags));
}

export function countUNetParameters(config: UNetConfig): number {
  return countSpecs(unetParamSpecs(resolveUNetConfig(config)));
}

export function countEncoderParameters(config: EncoderUNetConfig): number {
  return countSpecs(encoderParamSpecs(resolveEncoderConfig(config)));
}
