/**
 * EncoderUNetModel, guided-diffusion's noisy-image classifier: the UNet's encoder half and middle
 * block, then a pooling head: "attention" (AttentionPool2d, the released classifiers), "adaptive"
 * (global average pool + 1x1 conv), or "spatial"/"spatial_v2" (MLP on the spatial means of every
 * input block and the middle block).
 */
import * as tf from "@tensorflow/tfjs";
import { checkTimesteps, createParams, disposeParams, groupNorm32, silu, toNHWC, type DropoutMasks, type ForwardOptions, type Module, unseededDropout, type Params, type ParamSpec } from "../nn/index";
import { EncoderUNetConfig, ResolvedEncoderConfig, resolveEncoderConfig } from "./config";
import { tfExecutor } from "./layers";
import { EncoderPlan, planEncoder } from "./unet-plan";
import { encoderParamSpecs } from "./unet-params";
import { walkEncoder, walkEncoderTrunk } from "./walk";

export class EncoderUNetModel implements Module {
  readonly config: ResolvedEncoderConfig;
  readonly plan: EncoderPlan;
  readonly specs: readonly ParamSpec[];
  readonly params: Params;
  training = false;
  dropoutMasks: DropoutMasks | null = null;

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
    return tf.tidy(() => {
      const h = this.input(x, t, opts, "EncoderUNetModel.forward");
      return walkEncoder(this.plan, tfExecutor(this.params, this.dropout()), h, t) as tf.Tensor2D;
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
    return tf.tidy(() => {
      const h0 = this.input(x, t, opts, "EncoderUNetModel.features");
      const { h, means } = walkEncoderTrunk(this.plan, tfExecutor(this.params, this.dropout()), h0, t);
      if (means.length) return tf.concat(means, 1) as tf.Tensor2D;
      return tf.mean(silu(groupNorm32(this.params, "out.0", h as tf.Tensor4D)), [1, 2]) as tf.Tensor2D;
    });
  }

  /** Check the inputs and bring x to NHWC. */
  private input(x: tf.Tensor4D, t: tf.Tensor1D, opts: ForwardOptions | undefined, who: string): tf.Tensor4D {
    const h = toNHWC(x, this.config.inChannels, opts, who);
    checkTimesteps(t, h.shape[0], who);
    return h;
  }

  /** Dropout's masks while training (the loop's, else unseeded), none at inference. */
  private dropout(): DropoutMasks | null {
    return this.training ? (this.dropoutMasks ?? unseededDropout) : null;
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
