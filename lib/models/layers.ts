/**
 * The layers a UNet block (guided-diffusion's TimestepEmbedSequential) may hold, as plain data, with
 * one function for their parameter specs and one to apply them. Model files only arrange these.
 */
import * as tf from "@tensorflow/tfjs";
import {
  AttentionBlockConfig, attentionBlock, attentionBlockParams, conv2d, conv2dParams, downsample, downsampleParams,
  Params, ParamSpec, ResampleConfig, ResBlockConfig, resBlock, resBlockParams, upsample, upsampleParams,
} from "../nn/index";

export type Layer =
  | { kind: "conv"; name: string; inChannels: number; outChannels: number }
  | { kind: "resblock"; name: string; cfg: ResBlockConfig }
  | { kind: "attention"; name: string; cfg: AttentionBlockConfig }
  | { kind: "downsample"; name: string; cfg: ResampleConfig }
  | { kind: "upsample"; name: string; cfg: ResampleConfig };

/** A TimestepEmbedSequential: its layers are named `<block>.<index>`. */
export type Block = Layer[];

export function layerParams(layer: Layer): ParamSpec[] {
  switch (layer.kind) {
    case "conv":
      return conv2dParams(layer.name, layer.inChannels, layer.outChannels, 3);
    case "resblock":
      return resBlockParams(layer.name, layer.cfg);
    case "attention":
      return attentionBlockParams(layer.name, layer.cfg);
    case "downsample":
      return downsampleParams(layer.name, layer.cfg);
    case "upsample":
      return upsampleParams(layer.name, layer.cfg);
  }
}

export function blockParams(block: Block): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (const layer of block) specs.push(...layerParams(layer));
  return specs;
}

/** Apply a block's layers in order; ResBlocks also see the embedding. */
export function applyBlock(params: Params, block: Block, h: tf.Tensor4D, emb: tf.Tensor2D, training: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    for (const layer of block) {
      switch (layer.kind) {
        case "conv":
          h = conv2d(params, layer.name, h);
          break;
        case "resblock":
          h = resBlock(params, layer.name, layer.cfg, h, emb, training);
          break;
        case "attention":
          h = attentionBlock(params, layer.name, layer.cfg, h);
          break;
        case "downsample":
          h = downsample(params, layer.name, layer.cfg, h);
          break;
        case "upsample":
          h = upsample(params, layer.name, layer.cfg, h);
          break;
      }
    }
    return h;
  });
}
