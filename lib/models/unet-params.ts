/**
 * Parameter specs of UNetModel and EncoderUNetModel in state_dict order, from the plan alone: used to
 * allocate the variables, to count parameters without allocating, and to check checkpoints.
 */
import { ParamSpec } from "../nn/index";
import { ResolvedEncoderConfig, ResolvedUNetConfig } from "./config";
import { blockParams, Block } from "./layers";
import { EncoderPlan, UNetPlan, planEncoder, planUNet } from "./unet-plan";

function blocksParams(blocks: Block[]): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (const b of blocks) specs.push(...blockParams(b));
  return specs;
}

/** time_embed, label_emb, input_blocks, middle_block, output_blocks, out. */
export function unetParamSpecs(c: ResolvedUNetConfig, plan: UNetPlan = planUNet(c)): ParamSpec[] {
  const label = plan.labelEmb ? [[plan.labelEmb]] : [];
  return blocksParams([plan.timeEmbed, ...label, ...plan.inputBlocks, plan.middleBlock, ...plan.outputBlocks, plan.out]);
}

/** time_embed, input_blocks, middle_block, out (the pool's head). */
export function encoderParamSpecs(c: ResolvedEncoderConfig, plan: EncoderPlan = planEncoder(c)): ParamSpec[] {
  return blocksParams([plan.timeEmbed, ...plan.inputBlocks, plan.middleBlock, plan.out]);
}
