/**
 * UNetModel of "Diffusion Models Beat GANs on Image Synthesis" (ADM), compatible with guided-diffusion's
 * checkpoints: `emb = time_embed(timestep_embedding(t)) [+ label_emb(y)]`, input blocks (kept as skips),
 * middle block, output blocks on `cat([h, skip])` (h first), then GN -> SiLU -> zero-initialised conv.
 */
import * as tf from "@tensorflow/tfjs";
import { checkTimesteps, createParams, disposeParams, toNHWC, type DropoutMasks, type ForwardOptions, type Module, unseededDropout, type Params, type ParamSpec } from "../nn/index";
import { ResolvedUNetConfig, UNetConfig, resolveUNetConfig } from "./config";
import { tfExecutor } from "./layers";
import { UNetPlan, planUNet } from "./unet-plan";
import { unetParamSpecs } from "./unet-params";
import { walkUNet } from "./walk";

export class UNetModel implements Module {
  readonly config: ResolvedUNetConfig;
  readonly plan: UNetPlan;
  readonly specs: readonly ParamSpec[];
  readonly params: Params;
  training = false;
  dropoutMasks: DropoutMasks | null = null;

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
      const h = toNHWC(x, c.inChannels, opts, "UNetModel.forward");
      const n = h.shape[0];
      checkTimesteps(t, n, "UNetModel.forward");
      const factor = 2 ** (c.channelMult.length - 1);
      if (h.shape[1] % factor || h.shape[2] % factor) {
        throw new Error(`UNetModel.forward: H and W must be divisible by ${factor} (${c.channelMult.length} levels), got ${h.shape[1]}x${h.shape[2]}`);
      }
      if (conditional && y && (y.rank !== 1 || y.shape[0] !== n)) throw new Error(`UNetModel.forward: y must be [${n}] labels, got [${y.shape}]`);
      const out = walkUNet(this.plan, tfExecutor(this.params, this.dropout()), h, t, y ?? null) as tf.Tensor4D;
      return opts?.dataFormat === "NCHW" ? out.transpose([0, 3, 1, 2]) : out;
    });
  }

  /** Dropout's masks while training (the loop's, else unseeded), none at inference. */
  private dropout(): DropoutMasks | null {
    return this.training ? (this.dropoutMasks ?? unseededDropout) : null;
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
