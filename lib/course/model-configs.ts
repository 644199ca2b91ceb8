/**
 * The configurations of the course's own models (trained by scripts/train.ts on Fashion-MNIST padded
 * to 32x32): ADM's architecture at laptop scale. Same building blocks as Table 11 (AdaGN, BigGAN
 * up/down-sampling, attention at 8x8, learned sigma with the hybrid loss), fewer channels and blocks.
 */
import type { UNetConfig, EncoderUNetConfig } from "../models/index";
import type { GaussianDiffusionOptions } from "../diffusion/index";

export interface DiffusionModelConfig {
  kind: "diffusion";
  unet: UNetConfig;
  diffusion: GaussianDiffusionOptions;
  /** probability of dropping the label to the null class (classifier-free guidance) */
  classDropout: number;
}

export interface ClassifierModelConfig {
  kind: "classifier";
  encoder: EncoderUNetConfig;
  diffusion: GaussianDiffusionOptions;
  /** train on noised x_t (the guidance classifier) or on clean images (the FID feature network) */
  noised: boolean;
}

export type CourseModelConfig = DiffusionModelConfig | ClassifierModelConfig;

const DIFFUSION: GaussianDiffusionOptions = { steps: 1000, noiseSchedule: "cosine", learnSigma: true, rescaleLearnedSigmas: true };

const SMALL_UNET: UNetConfig = {
  imageSize: 32,
  inChannels: 1,
  modelChannels: 32,
  outChannels: 2,
  numResBlocks: 1,
  attentionResolutions: [4],
  dropout: 0,
  channelMult: [1, 1, 2],
  numHeadChannels: 32,
  useScaleShiftNorm: true,
  resblockUpdown: true,
  useNewAttentionOrder: true,
};

export const COURSE_CONFIGS: Record<string, CourseModelConfig> = {
  /** a seconds-scale smoke-test model (8x8 crops are not used: it runs on the 32x32 images with one level) */
  "test-tiny": {
    kind: "diffusion",
    classDropout: 0.1,
    diffusion: { ...DIFFUSION, steps: 100 },
    unet: {
      imageSize: 32,
      inChannels: 1,
      modelChannels: 32,
      outChannels: 2,
      numResBlocks: 1,
      attentionResolutions: [],
      channelMult: [1],
      numClasses: 11,
      useScaleShiftNorm: true,
    },
  },
  /** class-conditional (10 classes + a null class for classifier-free guidance) */
  "fashion-cond": { kind: "diffusion", unet: { ...SMALL_UNET, numClasses: 11 }, diffusion: DIFFUSION, classDropout: 0.1 },
  /** unconditional: the seminar's "unconditional model + classifier" experiment */
  "fashion-uncond": { kind: "diffusion", unet: { ...SMALL_UNET, numClasses: null }, diffusion: DIFFUSION, classDropout: 0 },
  /** the noisy classifier p_phi(y | x_t, t) for classifier guidance */
  "fashion-classifier": {
    kind: "classifier",
    noised: true,
    diffusion: DIFFUSION,
    encoder: {
      imageSize: 32,
      inChannels: 1,
      modelChannels: 32,
      outChannels: 10,
      numResBlocks: 1,
      attentionResolutions: [4],
      channelMult: [1, 1, 2],
      numHeadChannels: 32,
      useScaleShiftNorm: true,
      resblockUpdown: true,
      useNewAttentionOrder: true,
      pool: "attention",
    },
  },
  /**
   * a classifier of clean images whose features serve as the FID feature space for Fashion-MNIST;
   * the spatial pool reads un-normalised block means (352-d), which an adaptive pool over 64
   * channels in 32 groups would standardise away (it learned to 67% in 700 steps against this one's)
   */
  "fashion-features": {
    kind: "classifier",
    noised: false,
    diffusion: DIFFUSION,
    encoder: {
      imageSize: 32,
      inChannels: 1,
      modelChannels: 32,
      outChannels: 10,
      numResBlocks: 1,
      attentionResolutions: [],
      channelMult: [1, 2, 2],
      useScaleShiftNorm: false,
      resblockUpdown: false,
      convResample: true,
      dropout: 0.1,
      pool: "spatial",
    },
  },
};
