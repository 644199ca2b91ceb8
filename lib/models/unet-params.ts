/**
 * Parameter specs of UNetModel and EncoderUNetModel in state_dict order, from the config alone: used to
 * allocate the variables, to count parameters without allocating, and to check checkpoints.
 */
import { attentionPoolParams, conv2dParams, embeddingParams, groupNormParams, linearParams, ParamSpec } from "../nn/index";
import { ResolvedEncoderConfig, ResolvedUNetConfig } from "./config";
import { blockParams, Block } from "./layers";
import { EncoderPlan, UNetPlan, planEncoder, planUNet } from "./unet-plan";

function timeEmbedParams(modelChannels: number): ParamSpec[] {
  const d = 4 * modelChannels;
  return [...linearParams("time_embed.0", modelChannels, d), ...linearParams("time_embed.2", d, d)];
}

function blocksParams(blocks: Block[]): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (const b of blocks) specs.push(...blockParams(b));
  return specs;
}

/** time_embed, label_emb, input_blocks, middle_block, output_blocks, out. */
export function unetParamSpecs(c: ResolvedUNetConfig, plan: UNetPlan = planUNet(c)): ParamSpec[] {
  const specs = timeEmbedParams(c.modelChannels);
  if (c.numClasses !== null) {
    specs.push(...embeddingParams("label_emb", c.numClasses, 4 * c.modelChannels));
  }
  specs.push(...blocksParams(plan.inputBlocks), ...blockParams(plan.middleBlock), ...blocksParams(plan.outputBlocks));
  // the decoder ends at the first level's width, int(channel_mult[0] * model_channels)
  const outCh = Math.trunc(c.modelChannels * c.channelMult[0]);
  specs.push(...groupNormParams("out.0", outCh));
  specs.push(...conv2dParams("out.2", outCh, c.outChannels, 3, true));
  return specs;
}

/** The classifier head's specs for each pool kind (names as in EncoderUNetModel.out). */
export function encoderHeadParams(c: ResolvedEncoderConfig, plan: EncoderPlan): ParamSpec[] {
  const ch = plan.channels;
  switch (c.pool) {
    case "adaptive":
      return [...groupNormParams("out.0", ch), ...conv2dParams("out.3", ch, c.outChannels, 1, true)];
    case "attention":
      return [
        ...groupNormParams("out.0", ch),
        ...attentionPoolParams("out.2", { spatialDim: Math.floor(c.imageSize / plan.ds), channels: ch, numHeadChannels: c.numHeadChannels, outChannels: c.outChannels }),
      ];
    case "spatial":
      return [...linearParams("out.0", plan.featureSize, 2048), ...linearParams("out.2", 2048, c.outChannels)];
    case "spatial_v2":
      return [...linearParams("out.0", plan.featureSize, 2048), ...groupNormParams("out.1", 2048), ...linearParams("out.3", 2048, c.outChannels)];
  }
}

/** time_embed, input_blocks, middle_block, out (the head). */
export function encoderParamSpecs(c: ResolvedEncoderConfig, plan: EncoderPlan = planEncoder(c)): ParamSpec[] {
  return [
    ...timeEmbedParams(c.modelChannels),
    ...blocksParams(plan.inputBlocks),
    ...blockParams(plan.middleBlock),
    ...encoderHeadParams(c, plan),
  ];
}
