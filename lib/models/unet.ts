/**
 * UNetModel of "Diffusion Models Beat GANs on Image Synthesis" (ADM), compatible with guided-diffusion's
 * checkpoints: `emb = time_embed(timestep_embedding(t)) [+ label_emb(y)]`, input blocks (kept as skips),
 * middle block, output blocks on `cat([h, skip])` (h first), then GN -> SiLU -> zero-initialised conv.
 */
import * as tf from "@tensorflow/tfjs";
import {
  checkTimesteps, conv2d, createParams, disposeParams, embedding, groupNorm32, linear, silu, timestepEmbedding, toNHWC,
  type ForwardOptions, type Module, type Params, type ParamSpec,
} from "../nn/index";
import { ResolvedUNetConfig, UNetConfig, resolveUNetConfig } from "./config";
import { applyBlock } from "./layers";
import { UNetPlan, planUNet } from "./unet-plan";
import { unetParamSpecs } from "./unet-params";

export class UNetModel implements Module {
  readonly config: ResolvedUNetConfig;
  readonly plan: UNetPlan;
  readonly specs: readonly ParamSpec[];
  readonly params: Params;
  training = false;

  /** Build with fresh PyTorch-default-like weights (zero-initialised where guided-diffusion zeroes). */
  constructor(config: UNetConfig) {
    this.config = resolveUNetConfig(config);
    this.plan = planUNet(this.config);
    this.specs = unetParamSpecs(this.config, this.plan);
    this.params = createParams(this.specs);
  }

  /**
   * @param x noisy images, `[N, H, W, C]` float32 (or `[N, C, H, W]` with `{dataFormat: "NCHW"}`);
   *   H and W divisible by 2^(levels-1)
   * @param t `[N]` timesteps (int32, or float)
   * @param y `[N]` int32 class labels, required exactly when the model is class-conditional
   * @returns `[N, H, W, outChannels]` (NCHW if asked), e.g. `[eps | v]` with learn_sigma
   */
  forward(x: tf.Tensor4D, t: tf.Tensor1D, y?: tf.Tensor1D, opts?: ForwardOptions): tf.Tensor4D {
    const c = this.config;
    const conditional = c.numClasses !== null;
    if ((y !== undefined && y !== null) !== conditional) {
      throw new Error(conditional
        ? `UNetModel.forward: this model is class-conditional (${c.numClasses} classes, class_cond True): pass y, an int32 tensor of labels`
        : "UNetModel.forward: this model is unconditional (class_cond False): do not pass y");
    }
    return tf.tidy(() => {
      let h = toNHWC(x, c.inChannels, opts, "UNetModel.forward");
      const n = h.shape[0];
      checkTimesteps(t, n, "UNetModel.forward");
      const factor = 2 ** (c.channelMult.length - 1);
      if (h.shape[1] % factor || h.shape[2] % factor) {
        throw new Error(`UNetModel.forward: H and W must be divisible by ${factor} (${c.channelMult.length} levels), got ${h.shape[1]}x${h.shape[2]}`);
      }
      let emb = linear(this.params, "time_embed.2", silu(linear(this.params, "time_embed.0", timestepEmbedding(t, c.modelChannels))));
      if (conditional && y) {
        if (y.rank !== 1 || y.shape[0] !== n) throw new Error(`UNetModel.forward: y must be [${n}] labels, got [${y.shape}]`);
        emb = tf.add(emb, embedding(this.params, "label_emb", y));
      }
      const hs: tf.Tensor4D[] = [];
      for (const block of this.plan.inputBlocks) {
        h = applyBlock(this.params, block, h, emb, this.training);
        hs.push(h);
      }
      h = applyBlock(this.params, this.plan.middleBlock, h, emb, this.training);
      for (const block of this.plan.outputBlocks) {
        h = applyBlock(this.params, block, tf.concat([h, hs.pop() as tf.Tensor4D], 3), emb, this.training);
      }
      const out = conv2d(this.params, "out.2", silu(groupNorm32(this.params, "out.0", h)));
      return opts?.dataFormat === "NCHW" ? out.transpose([0, 3, 1, 2]) : out;
    });
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
