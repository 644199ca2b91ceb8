/**
 * The checkpoints OpenAI released with guided-diffusion (README, "Download pre-trained models"), as
 * data: file name, URL, the README's MODEL_FLAGS or classifier flags, and the README's sampling
 * commands (classifier_sample.py with its --classifier_scale, 250 respaced steps; ADM-G's 25-step
 * DDIM). No SHA-256 is published for them: `sha256` stays null here, and the downloader records
 * the digest of the first download beside the file (scripts/fetch-adm.ts) and checks later ones.
 */
import { RELEASED_CLASSIFIERS, TABLE_11_MODELS, countParameters } from "./configs";

/** Where guided-diffusion's README links every checkpoint. */
export const ADM_BASE_URL = "https://openaipublic.blob.core.windows.net/diffusion/jul-2021/";

export type CheckpointKind = "diffusion" | "classifier" | "upsampler";

/** One released `.pt` file. */
export interface ReleasedCheckpoint {
  /** the file name without `.pt`, e.g. "64x64_diffusion" */
  id: string;
  file: string;
  url: string;
  kind: CheckpointKind;
  /** the resolution the network samples (an upsampler's large size) */
  imageSize: number;
  /** the README's flags for this network (MODEL_FLAGS, or the classifier's flags) */
  flags: string;
  /** parameters of the network these flags build (null for the upsamplers: no SuperResModel here) */
  parameters: number | null;
  /** float32 bytes of those parameters: what the file holds, less the zip's few kilobytes */
  weightBytes: number | null;
  /** SHA-256 of the file: not published by OpenAI, so null until a download records it */
  sha256: string | null;
}

/** A sampling setup of the README: a diffusion model, the classifier that guides it, and the scale. */
export interface AdmConfiguration {
  /** "64x64", "128x128", "256x256", "256x256-uncond", "512x512" */
  name: string;
  model: ReleasedCheckpoint;
  classifier: ReleasedCheckpoint;
  /** the README's --classifier_scale for this model */
  classifierScale: number;
  classCond: boolean;
  /** the README's classifier_sample.py flags beyond MODEL_FLAGS: 250 respaced steps, the scale, the classifier */
  sampleFlags: string;
  /** ADM-G 25 steps (the README's 25-step DDIM command) */
  ddimFlags: string;
}

function checkpoint(id: string, kind: CheckpointKind, imageSize: number, flags: string): ReleasedCheckpoint {
  const parameters = kind === "upsampler" ? null : countParameters(flags);
  return {
    id, file: `${id}.pt`, url: `${ADM_BASE_URL}${id}.pt`, kind, imageSize, flags, parameters,
    weightBytes: parameters === null ? null : parameters * 4, sha256: null,
  };
}

const uncond256 = TABLE_11_MODELS.imagenet256.replace("--class_cond True", "--class_cond False");

/** Every released ImageNet checkpoint, by id (LSUN models are not part of the course). */
export const ADM_CHECKPOINTS: Readonly<Record<string, ReleasedCheckpoint>> = Object.freeze(Object.fromEntries([
  checkpoint("64x64_diffusion", "diffusion", 64, TABLE_11_MODELS.imagenet64),
  checkpoint("64x64_classifier", "classifier", 64, RELEASED_CLASSIFIERS.imagenet64),
  checkpoint("128x128_diffusion", "diffusion", 128, TABLE_11_MODELS.imagenet128),
  checkpoint("128x128_classifier", "classifier", 128, RELEASED_CLASSIFIERS.imagenet128),
  checkpoint("256x256_diffusion", "diffusion", 256, TABLE_11_MODELS.imagenet256),
  checkpoint("256x256_diffusion_uncond", "diffusion", 256, uncond256),
  checkpoint("256x256_classifier", "classifier", 256, RELEASED_CLASSIFIERS.imagenet256),
  checkpoint("512x512_diffusion", "diffusion", 512, TABLE_11_MODELS.imagenet512),
  checkpoint("512x512_classifier", "classifier", 512, RELEASED_CLASSIFIERS.imagenet512),
  checkpoint("64_256_upsampler", "upsampler", 256,
    "--attention_resolutions 32,16,8 --class_cond True --diffusion_steps 1000 --large_size 256 --small_size 64 --learn_sigma True --noise_schedule linear --num_channels 192 --num_heads 4 --num_res_blocks 2 --resblock_updown True --use_fp16 True --use_scale_shift_norm True"),
  checkpoint("128_512_upsampler", "upsampler", 512,
    "--attention_resolutions 32,16 --class_cond True --diffusion_steps 1000 --large_size 512 --small_size 128 --learn_sigma True --noise_schedule linear --num_channels 192 --num_head_channels 64 --num_res_blocks 2 --resblock_updown True --use_fp16 True --use_scale_shift_norm True"),
].map((c) => [c.id, Object.freeze(c)])));

function configuration(name: string, model: string, classifier: string, classifierScale: number): AdmConfiguration {
  const m = ADM_CHECKPOINTS[model];
  const c = ADM_CHECKPOINTS[classifier];
  const tail = `--classifier_scale ${classifierScale.toFixed(1)} --classifier_path models/${c.file}${name === "64x64" ? " --classifier_depth 4" : ""} --model_path models/${m.file}`;
  return {
    name, model: m, classifier: c, classifierScale, classCond: m.flags.includes("--class_cond True"),
    sampleFlags: `${tail} --batch_size 4 --num_samples 100 --timestep_respacing 250`,
    ddimFlags: `${tail} --batch_size 4 --num_samples 100 --timestep_respacing ddim25 --use_ddim True`,
  };
}

/** The README's classifier-guided sampling setups, smallest first. */
export const ADM_CONFIGURATIONS: readonly AdmConfiguration[] = Object.freeze([
  configuration("64x64", "64x64_diffusion", "64x64_classifier", 1.0),
  configuration("128x128", "128x128_diffusion", "128x128_classifier", 0.5),
  configuration("256x256", "256x256_diffusion", "256x256_classifier", 1.0),
  configuration("256x256-uncond", "256x256_diffusion_uncond", "256x256_classifier", 10.0),
  configuration("512x512", "512x512_diffusion", "512x512_classifier", 4.0),
]);

/** The configuration called `name` ("64x64" ... "512x512", "256x256-uncond"), or an error listing them. */
export function admConfiguration(name: string): AdmConfiguration {
  const c = ADM_CONFIGURATIONS.find((x) => x.name === name);
  if (!c) throw new Error(`no released configuration "${name}"; use one of ${ADM_CONFIGURATIONS.map((x) => x.name).join(", ")}`);
  return c;
}

/**
 * The checkpoints a name stands for: a configuration ("64x64": its model and classifier), a
 * checkpoint id ("64x64_classifier", "64_256_upsampler") or file name, or "all".
 */
export function admCheckpointsFor(name: string): ReleasedCheckpoint[] {
  if (name === "all") return Object.values(ADM_CHECKPOINTS);
  const conf = ADM_CONFIGURATIONS.find((x) => x.name === name);
  if (conf) return [conf.model, conf.classifier];
  const one = ADM_CHECKPOINTS[name.replace(/\.pt$/, "")];
  if (one) return [one];
  throw new Error(
    `unknown checkpoint "${name}": give a configuration (${ADM_CONFIGURATIONS.map((x) => x.name).join(", ")}), ` +
      `a checkpoint (${Object.keys(ADM_CHECKPOINTS).join(", ")}) or "all"`,
  );
}
