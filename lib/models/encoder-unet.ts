/**
 * EncoderUNetModel, guided-diffusion's noisy-image classifier: the UNet's encoder half and middle
 * block, then a pooling head: "attention" (AttentionPool2d, the released classifiers), "adaptive"
 * (global average pool + 1x1 conv), or "spatial"/"spatial_v2" (MLP on the spatial means of every
 * input block and the middle block).
 */
import * as tf from "@tensorflow/tfjs";
import {
  attentionPool, checkTimesteps, conv2d, createParams, disposeParams, groupNorm32, linear, silu, timestepEmbedding, toNHWC,
  type ForwardOptions, type Module, type Params, type ParamSpec,
} from "../nn/index";
import { EncoderUNetConfig, ResolvedEncoderConfig, resolveEncoderConfig } from "./config";
import { applyBlock } from "./layers";
import { EncoderPlan, planEncoder } from "./unet-plan";
import { encoderParamSpecs } from "./unet-params";

function spatialMean(h: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(h, [1, 2]) as tf.Tensor2D;
}

export class EncoderUNetModel implements Module {
  readonly config: ResolvedEncoderConfig;
  readonly plan: EncoderPlan;
  readonly specs: readonly ParamSpec[];
  readonly params: Params;
  training = false;

  constructor(config: EncoderUNetConfig) {
    this.config = resolveEncoderConfig(config);
    this.plan = planEncoder(this.config);
    this.specs = encoderParamSpecs(this.config, this.plan);
    this.params = createParams(this.specs);
  }

  /**
   * @param x `[N, H, W, C]` float32 (or NCHW with `{dataFormat: "NCHW"}`)
   * @param t `[N]` timesteps
   * @returns logits `[N, outChannels]`
   */
  forward(x: tf.Tensor4D, t: tf.Tensor1D, opts?: ForwardOptions): tf.Tensor2D {
    const c = this.config;
    const p = this.params;
    return tf.tidy((): tf.Tensor2D => {
      const { h, means } = this.trunk(x, t, opts, "EncoderUNetModel.forward");
      switch (c.pool) {
        case "attention":
          return attentionPool(p, "out.2", {
            spatialDim: Math.floor(c.imageSize / this.plan.ds), channels: this.plan.channels,
            numHeadChannels: c.numHeadChannels, outChannels: c.outChannels,
          }, silu(groupNorm32(p, "out.0", h)));
        case "adaptive": {
          const pooled = tf.mean(silu(groupNorm32(p, "out.0", h)), [1, 2], true) as tf.Tensor4D;
          return conv2d(p, "out.3", pooled).reshape([-1, c.outChannels]) as tf.Tensor2D;
        }
        case "spatial": {
          const feats = tf.concat([...means, spatialMean(h)], 1);
          return linear(p, "out.2", tf.relu(linear(p, "out.0", feats)));
        }
        case "spatial_v2": {
          const feats = linear(p, "out.0", tf.concat([...means, spatialMean(h)], 1));
          const normed = groupNorm32(p, "out.1", feats.reshape([-1, 1, 1, 2048]) as tf.Tensor4D).reshape([-1, 2048]);
          return linear(p, "out.3", silu(normed) as tf.Tensor2D);
        }
      }
    });
  }

  /**
   * Penultimate features, for FID-like metrics with a classifier trained on the course data:
   * - spatial pools: the concatenated spatial means of every block's output, exactly what the
   *   spatial head's first linear layer reads ([N, featureSize]), with no normalisation in the way;
   * - adaptive and attention pools: the spatial mean of SiLU(GN(h)) after the middle block
   *   ([N, channels]). With few channels per group GroupNorm leaves these means little to carry
   *   (each group is standardised per image), so prefer a spatial pool for a feature network.
   */
  features(x: tf.Tensor4D, t: tf.Tensor1D, opts?: ForwardOptions): tf.Tensor2D {
    const c = this.config;
    return tf.tidy(() => {
      const { h, means } = this.trunk(x, t, opts, "EncoderUNetModel.features");
      if (c.pool === "spatial" || c.pool === "spatial_v2") return tf.concat([...means, spatialMean(h)], 1) as tf.Tensor2D;
      return tf.mean(silu(groupNorm32(this.params, "out.0", h)), [1, 2]) as tf.Tensor2D;
    });
  }

  /** Input blocks and middle block; the per-block spatial means when a spatial pool needs them. */
  private trunk(x: tf.Tensor4D, t: tf.Tensor1D, opts: ForwardOptions | undefined, who: string): { h: tf.Tensor4D; means: tf.Tensor2D[] } {
    const c = this.config;
    const p = this.params;
    let h = toNHWC(x, c.inChannels, opts, who);
    checkTimesteps(t, h.shape[0], who);
    const emb = linear(p, "time_embed.2", silu(linear(p, "time_embed.0", timestepEmbedding(t, c.modelChannels))));
    const spatial = c.pool === "spatial" || c.pool === "spatial_v2";
    const means: tf.Tensor2D[] = [];
    for (const block of this.plan.inputBlocks) {
      h = applyBlock(p, block, h, emb, this.training);
      if (spatial) means.push(spatialMean(h));
    }
    return { h: applyBlock(p, this.plan.middleBlock, h, emb, this.training), means };
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
