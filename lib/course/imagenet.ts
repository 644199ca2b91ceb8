/**
 * Notebook 09's ImageNet setup: choose a released configuration (lib/models/adm-catalogue.ts) that
 * this machine can hold, and load its diffusion model and noisy classifier onto the engine (ONNX
 * Runtime in worker threads) straight from the `.pt` files, one tensor at a time. When the files are
 * absent, the same code runs on stand-ins: the same architectures at reduced width
 * (lib/models/reduced.ts) with hashed weights, so that every cell executes anywhere.
 *
 * The guidance adapter here (`engineCondFn`) is the course's own small one: cond_fn = s grad_x log
 * p(y | x_t, t) from one engine run of the classifier's gradient graph.
 */
import { existsSync } from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { createGaussianDiffusion, type CondFn, type GaussianDiffusion } from "../diffusion/index";
import { classifierFromStateDict, onnxClassifierGradient, onnxModel, unetFromStateDict, type EngineModel, type GuidanceModel } from "../engine/index";
import { admCheckpointDir, formatBytes, hashedStateDict, openTorchCheckpoint, type StateDict } from "../io/index";
import {
  ADM_CONFIGURATIONS,
  admConfiguration,
  classifierConfigFromFlags,
  countEncoderParameters,
  countUNetParameters,
  encoderParamSpecs,
  parseFlags,
  reducedClassifierConfig,
  reducedUNetConfig,
  resolveEncoderConfig,
  resolveUNetConfig,
  unetConfigFromFlags,
  unetParamSpecs,
  type AdmConfiguration,
  type EncoderUNetConfig,
  type ReduceOptions,
  type UNetConfig,
} from "../models/index";
import type { SamplingModel } from "../sampling/index";

/**
 * Peak resident bytes per float32 weight byte while a network is emitted, serialised and handed to
 * ONNX Runtime (the serialised copy, the session's initializers and its prepacked kernels), as
 * bench/imagenet.ts measures it (64x64: 5.6 GB peak for 1.45 GB of weights); activations at
 * batch 1 are small beside it. Plus RUNTIME_BYTES for Node, tfjs and ONNX Runtime themselves.
 */
export const ENGINE_LOAD_FACTOR = 4;
const RUNTIME_BYTES = 2 ** 29;

/** What loading a configuration on the engine needs, against what this machine has. */
export interface MemoryFit {
  /** float32 weights of the model and the classifier */
  weightBytes: number;
  /** estimated peak while loading: ENGINE_LOAD_FACTOR x weightBytes + 512 MiB */
  peakBytes: number;
  totalBytes: number;
  freeBytes: number;
  fits: boolean;
  /** one sentence for the notebook */
  summary: string;
}

/** The network configs of a configuration, reduced when `reduce` is given. */
export function imagenetConfigs(conf: AdmConfiguration, reduce?: ReduceOptions): { unet: UNetConfig; classifier: EncoderUNetConfig } {
  const unet = unetConfigFromFlags(conf.model.flags);
  const classifier = classifierConfigFromFlags(conf.classifier.flags);
  return reduce ? { unet: reducedUNetConfig(unet, reduce), classifier: reducedClassifierConfig(classifier, reduce) } : { unet, classifier };
}

/** Estimate, from the flags alone (parameter counts), whether `conf` can be loaded here. */
export function memoryFit(conf: AdmConfiguration, reduce?: ReduceOptions): MemoryFit {
  const { unet, classifier } = imagenetConfigs(conf, reduce);
  const weightBytes = 4 * (countUNetParameters(unet) + countEncoderParameters(classifier));
  const peakBytes = ENGINE_LOAD_FACTOR * weightBytes + RUNTIME_BYTES;
  const totalBytes = os.totalmem();
  const freeBytes = os.freemem();
  // the machine's total decides; free memory changes from moment to moment and is only reported
  const fits = peakBytes <= 0.8 * totalBytes;
  const summary =
    `${conf.name}${reduce ? " (reduced)" : ""}: ${formatBytes(weightBytes)} of float32 weights, about ${formatBytes(peakBytes)} at the peak of loading; ` +
    `this machine has ${formatBytes(totalBytes)} (${formatBytes(freeBytes)} free now): ${fits ? "it fits" : "it does not fit"}`;
  return { weightBytes, peakBytes, totalBytes, freeBytes, fits, summary };
}

/** The paths of a configuration's two files in `dir`, and whether both are there. */
export function imagenetFiles(conf: AdmConfiguration, dir = admCheckpointDir()): { model: string; classifier: string; present: boolean } {
  const model = path.join(dir, conf.model.file);
  const classifier = path.join(dir, conf.classifier.file);
  return { model, classifier, present: existsSync(model) && existsSync(classifier) };
}

/**
 * The configuration to run: `name` if given (refused, before anything loads, when it cannot fit),
 * else the largest class-conditional one that fits, preferring one whose files are present.
 */
export function pickConfiguration(name?: string, dir = admCheckpointDir()): AdmConfiguration {
  if (name) {
    const conf = admConfiguration(name);
    const fit = memoryFit(conf);
    if (!fit.fits)
      throw new Error(
        `${fit.summary}. Pick a smaller configuration (${
          ADM_CONFIGURATIONS.filter((c) => memoryFit(c).fits)
            .map((c) => c.name)
            .join(", ") || "none fits"
        }) or a machine with more memory`,
      );
    return conf;
  }
  const fitting = ADM_CONFIGURATIONS.filter((c) => c.classCond && memoryFit(c).fits).reverse();
  if (fitting.length === 0) throw new Error(`no released configuration fits: ${memoryFit(ADM_CONFIGURATIONS[0]).summary}`);
  return fitting.find((c) => imagenetFiles(c, dir).present) ?? fitting[0];
}

/** guided-diffusion's create_gaussian_diffusion for a configuration's MODEL_FLAGS (1000 steps, learned sigma). */
export function imagenetDiffusion(conf: AdmConfiguration): GaussianDiffusion {
  const f = parseFlags(conf.model.flags);
  return createGaussianDiffusion({ steps: f.diffusion_steps, learnSigma: f.learn_sigma, noiseSchedule: f.noise_schedule as "linear" | "cosine" });
}

/**
 * cond_fn = s * grad_x log p(y | x_t, t) from the engine's gradient graph: one ONNX Runtime run per
 * step gives the logits and the gradient (the logits are dropped).
 */
export function engineCondFn(guidance: GuidanceModel, scale: number): CondFn {
  return async (x, t, kwargs) => {
    if (!kwargs.y) throw new Error("classifier guidance needs the target classes: pass modelKwargs: { y }");
    const { logits, grad } = await guidance.forward(x, t, kwargs.y);
    const scaled = tf.mul(grad, scale) as tf.Tensor4D;
    tf.dispose([logits, grad]);
    return scaled;
  };
}

/** A loaded configuration: the diffusion, the model and the guidance as the samplers take them. */
export interface ImagenetSetup {
  configuration: AdmConfiguration;
  /** the released weights (true) or hashed stand-ins of the same architecture at reduced width */
  released: boolean;
  imageSize: number;
  diffusion: GaussianDiffusion;
  /** the UNet; an unconditional one ignores y, as classifier_sample.py's model_fn does */
  model: SamplingModel;
  /** s grad log p(y | x_t) at the README's scale s, or another */
  condFn(scale?: number): CondFn;
  /** the classifier's log p(y_i | x_i) at t = 0 (clean images), one per image */
  logProb(x: tf.Tensor4D, y: tf.Tensor1D): Promise<number[]>;
  /** "ONNX Runtime (cpu, 2 threads)" */
  engine: string;
  loadSeconds: number;
  dispose(): Promise<void>;
}

export interface LoadImagenetOptions {
  dir?: string;
  /** stand-ins even if the files are present */
  standIns?: boolean;
  /** widths and sizes of the stand-ins (default: reduced.ts's); false: stand-ins at full size */
  reduce?: ReduceOptions | false;
  threads?: number;
  /** seed of the stand-ins' hashed weights */
  seed?: number;
}

/**
 * Load `conf`'s model and classifier onto the engine: from `dir`'s `.pt` files, streamed tensor by
 * tensor, or, when they are absent (or `standIns`), hashed stand-ins of the same architecture at
 * reduced width (at full size with `reduce: false`). Checks the memory estimate before reading anything.
 */
export async function loadImagenet(conf: AdmConfiguration, opts: LoadImagenetOptions = {}): Promise<ImagenetSetup> {
  const files = imagenetFiles(conf, opts.dir);
  const released = files.present && !opts.standIns;
  const reduce = released || opts.reduce === false ? undefined : (opts.reduce ?? {});
  const fit = memoryFit(conf, reduce);
  if (!fit.fits) throw new Error(`${fit.summary}: not loading it`);
  const { unet, classifier } = imagenetConfigs(conf, reduce);
  const start = Date.now();
  const seed = opts.seed ?? 0;
  const withDict = async <T>(file: string, specs: Parameters<typeof hashedStateDict>[0], load: (dict: StateDict, source: string) => Promise<T>): Promise<T> => {
    if (!released) return load(hashedStateDict(specs, seed), `stand-in for ${path.basename(file)}`);
    const reader = openTorchCheckpoint(file);
    try {
      return await load(reader.lazyStateDict(), file);
    } finally {
      reader.close();
    }
  };
  const engineOpts = { threads: opts.threads };
  const net: EngineModel = await withDict(files.model, unetParamSpecs(resolveUNetConfig(unet)), (d, s) => onnxModel(unetFromStateDict(unet, d, s), engineOpts));
  let guide: GuidanceModel;
  try {
    guide = await withDict(files.classifier, encoderParamSpecs(resolveEncoderConfig(classifier)), (d, s) =>
      onnxClassifierGradient(classifierFromStateDict(classifier, d, s), engineOpts),
    );
  } catch (e) {
    await net.dispose();
    throw e;
  }
  return {
    configuration: conf,
    released,
    imageSize: unet.imageSize,
    diffusion: imagenetDiffusion(conf),
    model: { forward: (x, t, y) => net.forward(x, t, conf.classCond ? y : null) as Promise<tf.Tensor4D> },
    condFn: (scale = conf.classifierScale) => engineCondFn(guide, scale),
    logProb: async (x, y) => {
      const n = x.shape[0];
      const t = tf.zeros([n], "int32") as tf.Tensor1D;
      const { logits, grad } = await guide.forward(x, t, y);
      const picked = tf.tidy(() => tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(y, logits.shape[1])), 1));
      const out = Array.from(await picked.data());
      tf.dispose([t, logits, grad, picked]);
      return out;
    },
    engine: `ONNX Runtime (${net.executionProviders.join(", ")}, ${net.threads} thread${net.threads > 1 ? "s" : ""})`,
    loadSeconds: (Date.now() - start) / 1000,
    dispose: async () => {
      await Promise.all([net.dispose(), guide.dispose()]);
    },
  };
}
