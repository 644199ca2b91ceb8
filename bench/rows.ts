/**
 * The benchmark's rows as data: what each row measures, on which networks and diffusion, written as
 * one JSON spec that both sides read: bench/cell.ts (tfjs and ONNX Runtime) and
 * bench/pytorch_rows.py (guided-diffusion's own UNetModel, EncoderUNetModel and GaussianDiffusion).
 * The networks' constructor arguments go to PyTorch exactly as guided-diffusion names them.
 */
import { join, resolve } from "path";
import { readTrainedFile } from "../lib/course/trained-model";
import type { GaussianDiffusionOptions } from "../lib/diffusion/index";
import {
  classifierConfigFromFlags,
  EncoderUNetConfig,
  parseFlags,
  RELEASED_CLASSIFIERS,
  resolveEncoderConfig,
  resolveUNetConfig,
  TABLE_11_MODELS,
  UNetConfig,
  unetConfigFromFlags,
} from "../lib/models/index";

const MODELS = resolve(__dirname, "../models");

/** How a row is timed: a whole DDIM-25 run of n images, one forward at batch 1, or one guided DDIM step at batch 1. */
export type RowKind = "sample" | "forward" | "guided-step";

/** Everything one measurement needs, on any executor. */
export interface RowSpec {
  row: string;
  kind: RowKind;
  unet: UNetConfig;
  classifier: EncoderUNetConfig | null;
  diffusion: GaussianDiffusionOptions;
  /** images (sample rows; 1 otherwise) */
  n: number;
  /** DDIM steps (sample rows), classifier scale s (guided rows) */
  steps: number;
  scale: number;
  /** timed repetitions after one warm-up (forward rows) */
  repeats: number;
  /** trained course weights for tfjs and ONNX (random weights elsewhere, and for PyTorch) */
  modelDir: string | null;
  classifierDir: string | null;
}

export interface RowDef {
  id: string;
  /** the row's label in the table */
  what: (spec: RowSpec) => string;
  /** seconds for the whole run, per forward, or per guided step */
  unit: "s" | "s/forward" | "s/step";
  spec: (quick: boolean) => RowSpec;
  /** why tfjs is not run, when it cannot hold the network */
  tfjsSkip?: string;
  /** left out of --quick: gigabytes of weights, minutes per cell */
  heavy?: boolean;
}

/** A course model directory's network config and diffusion, as its training run recorded them. */
function course(dir: string): { unet: UNetConfig | null; encoder: EncoderUNetConfig | null; diffusion: GaussianDiffusionOptions } {
  const m = readTrainedFile(dir).run.model;
  return m.kind === "diffusion" ? { unet: m.unet, encoder: null, diffusion: m.diffusion } : { unet: null, encoder: m.encoder, diffusion: m.diffusion };
}

function courseRow(guided: boolean, quick: boolean): RowSpec {
  const modelDir = join(MODELS, guided ? "fashion-uncond" : "fashion-cond");
  const classifierDir = guided ? join(MODELS, "fashion-classifier") : null;
  const m = course(modelDir);
  return {
    row: guided ? "course-guided-ddim25" : "course-ddim25",
    kind: "sample",
    unet: m.unet!,
    classifier: classifierDir ? course(classifierDir).encoder : null,
    diffusion: m.diffusion,
    n: quick ? 10 : 100,
    steps: 25,
    scale: guided ? 10 : 0,
    repeats: 1,
    modelDir,
    classifierDir,
  };
}

/** Table 11's model and the released classifier at one resolution; the diffusion its flags give. */
function imagenetRow(size: 64 | 256, kind: "forward" | "guided-step", quick: boolean): RowSpec {
  const flags = TABLE_11_MODELS[`imagenet${size}`];
  const f = parseFlags(flags);
  return {
    row: `imagenet${size}-${kind === "forward" ? "forward" : "guided"}`,
    kind,
    unet: unetConfigFromFlags(flags),
    classifier: kind === "guided-step" ? classifierConfigFromFlags(RELEASED_CLASSIFIERS[`imagenet${size}`]) : null,
    diffusion: { steps: f.diffusion_steps, learnSigma: f.learn_sigma, noiseSchedule: f.noise_schedule as GaussianDiffusionOptions["noiseSchedule"] },
    n: 1,
    steps: 2,
    scale: 10,
    repeats: quick ? 1 : 2,
    modelDir: null,
    classifierDir: null,
  };
}

const TOO_BIG = "its 2.2 GB of float32 weights and their activations do not fit tfjs-wasm's 4 GB heap (ImageNet 64's 1.2 GB already takes 3.4 GB)";

export const ROWS: RowDef[] = [
  { id: "course-ddim25", what: (s) => `course model (fashion-cond) DDIM-25, ${s.n} images`, unit: "s", spec: (q) => courseRow(false, q) },
  { id: "course-guided-ddim25", what: (s) => `classifier-guided DDIM-25 (s = 10), ${s.n} images`, unit: "s", spec: (q) => courseRow(true, q) },
  { id: "imagenet64-forward", what: () => "ImageNet 64 UNet forward, batch 1", unit: "s/forward", spec: (q) => imagenetRow(64, "forward", q) },
  {
    id: "imagenet64-guided",
    what: () => "ImageNet 64 guided DDIM step (UNet + classifier gradient), batch 1",
    unit: "s/step",
    spec: (q) => imagenetRow(64, "guided-step", q),
  },
  {
    id: "imagenet256-forward",
    what: () => "ImageNet 256 UNet forward, batch 1",
    unit: "s/forward",
    spec: (q) => imagenetRow(256, "forward", q),
    tfjsSkip: TOO_BIG,
    heavy: true,
  },
  {
    id: "imagenet256-guided",
    what: () => "ImageNet 256 guided DDIM step, batch 1",
    unit: "s/step",
    spec: (q) => imagenetRow(256, "guided-step", q),
    tfjsSkip: TOO_BIG,
    heavy: true,
  },
];

/** guided-diffusion's UNetModel(**kwargs) for a config (float32: use_fp16 off, as on our executors). */
export function torchUNetKwargs(config: UNetConfig): Record<string, unknown> {
  const c = resolveUNetConfig(config);
  return {
    image_size: c.imageSize,
    in_channels: c.inChannels,
    model_channels: c.modelChannels,
    out_channels: c.outChannels,
    num_res_blocks: c.numResBlocks,
    attention_resolutions: c.attentionResolutions,
    dropout: 0,
    channel_mult: c.channelMult,
    conv_resample: c.convResample,
    num_classes: c.numClasses,
    use_checkpoint: false,
    use_fp16: false,
    num_heads: c.numHeads,
    num_head_channels: c.numHeadChannels,
    num_heads_upsample: c.numHeadsUpsample,
    use_scale_shift_norm: c.useScaleShiftNorm,
    resblock_updown: c.resblockUpdown,
    use_new_attention_order: c.useNewAttentionOrder,
  };
}

/** guided-diffusion's EncoderUNetModel(**kwargs) for a config. */
export function torchEncoderKwargs(config: EncoderUNetConfig): Record<string, unknown> {
  const c = resolveEncoderConfig(config);
  const { num_classes: _unused, ...common } = torchUNetKwargs({ ...c, numClasses: null });
  return { ...common, pool: c.pool };
}

/** create_gaussian_diffusion(**kwargs) for our options. */
export function torchDiffusionKwargs(d: GaussianDiffusionOptions): Record<string, unknown> {
  return {
    steps: d.steps ?? 1000,
    learn_sigma: d.learnSigma ?? false,
    sigma_small: d.sigmaSmall ?? false,
    noise_schedule: d.noiseSchedule ?? "linear",
    use_kl: d.useKl ?? false,
    predict_xstart: d.predictXstart ?? false,
    rescale_timesteps: d.rescaleTimesteps ?? false,
    rescale_learned_sigmas: d.rescaleLearnedSigmas ?? false,
  };
}
