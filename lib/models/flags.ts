/**
 * guided-diffusion's script flags (script_util.py and scripts/*.py) with their types and defaults:
 * parse a README flag string ("--image_size 64 --class_cond True ...") or an object of the same
 * snake_case names, reject unknown names, and fill in defaults. The tables below are the only list
 * of flags: the TypeScript type of the parsed flags is derived from them, so every flag has its
 * real type (number, boolean, string, or one of a few names).
 */
import { POOL_KINDS } from "./config";

/** How one flag is parsed, and its default; `T` is the type it parses to. */
interface Flag<T> {
  kind: "int" | "float" | "bool" | "str" | "choice";
  default: T;
  /** the accepted values of a "choice" flag */
  choices?: readonly string[];
}

const int = (d: number): Flag<number> => ({ kind: "int", default: d });
const float = (d: number): Flag<number> => ({ kind: "float", default: d });
const bool = (d: boolean): Flag<boolean> => ({ kind: "bool", default: d });
const str = (d: string): Flag<string> => ({ kind: "str", default: d });
const oneOf = <C extends string>(choices: readonly C[], d: C): Flag<C> => ({ kind: "choice", default: d, choices });

/** The flags of create_model (model_and_diffusion_defaults without the diffusion ones). */
const MODEL = {
  image_size: int(64), num_channels: int(128), num_res_blocks: int(2), num_heads: int(4),
  num_heads_upsample: int(-1), num_head_channels: int(-1), attention_resolutions: str("16,8"),
  channel_mult: str(""), dropout: float(0), class_cond: bool(false), use_checkpoint: bool(false),
  use_scale_shift_norm: bool(true), resblock_updown: bool(false), use_fp16: bool(false),
  use_new_attention_order: bool(false),
};
/** The flags of create_gaussian_diffusion. */
const DIFFUSION = {
  learn_sigma: bool(false), diffusion_steps: int(1000), noise_schedule: str("linear"),
  timestep_respacing: str(""), use_kl: bool(false), predict_xstart: bool(false),
  rescale_timesteps: bool(false), rescale_learned_sigmas: bool(false),
};
/** The flags of create_classifier (classifier_defaults; image_size is shared with the model). */
const CLASSIFIER = {
  classifier_use_fp16: bool(false), classifier_width: int(128), classifier_depth: int(2),
  classifier_attention_resolutions: str("32,16,8"), classifier_use_scale_shift_norm: bool(true),
  classifier_resblock_updown: bool(true), classifier_pool: oneOf(POOL_KINDS, "attention"),
};
/** Flags of image_sample.py, classifier_sample.py, image_train.py and classifier_train.py. */
const SCRIPT = {
  clip_denoised: bool(true), num_samples: int(10000), batch_size: int(16), use_ddim: bool(false),
  model_path: str(""), classifier_path: str(""), classifier_scale: float(1),
  data_dir: str(""), val_data_dir: str(""), schedule_sampler: str("uniform"), lr: float(1e-4),
  weight_decay: float(0), lr_anneal_steps: int(0), microbatch: int(-1), ema_rate: str("0.9999"),
  log_interval: int(10), save_interval: int(10000), resume_checkpoint: str(""),
  fp16_scale_growth: float(1e-3), noised: bool(true), iterations: int(150000),
  anneal_lr: bool(false), eval_interval: int(5),
};
const ALL: Record<string, Flag<FlagValue>> = { ...MODEL, ...DIFFUSION, ...CLASSIFIER, ...SCRIPT };

type FlagValue = number | boolean | string;
/** The parsed values of a flag table: each name with the type its Flag parses to. */
type ValuesOf<T> = { [K in keyof T]: T[K] extends Flag<infer V> ? V : never };

export type ModelFlags = ValuesOf<typeof MODEL>;
export type DiffusionFlags = ValuesOf<typeof DIFFUSION>;
export type ClassifierFlags = ValuesOf<typeof CLASSIFIER>;
export type ScriptFlags = ValuesOf<typeof SCRIPT>;
/** Parsed flags: every known flag, typed, with its default unless given. */
export type GuidedDiffusionFlags = ModelFlags & DiffusionFlags & ClassifierFlags & ScriptFlags;

/** What parseFlags accepts: a README flag string, or an object of snake_case names (values may be strings). */
export type FlagInput = string | Record<string, unknown>;

/** Names of the flags that shape the diffusion process (not the network). */
export const DIFFUSION_FLAG_NAMES = Object.keys(DIFFUSION) as readonly (keyof DiffusionFlags)[];

function parseBool(name: string, v: string): boolean {
  const s = v.toLowerCase();
  if (["yes", "true", "t", "y", "1"].includes(s)) return true;
  if (["no", "false", "f", "n", "0"].includes(s)) return false;
  throw new Error(`flag --${name}: expected a boolean (True/False), got "${v}"`);
}

function convert(name: string, raw: unknown): FlagValue {
  const { kind, choices } = ALL[name];
  if (kind === "bool") {
    if (typeof raw === "boolean") return raw;
    return parseBool(name, String(raw));
  }
  if (kind === "str") {
    if (Array.isArray(raw)) return raw.join(",");
    return String(raw);
  }
  if (kind === "choice") {
    const v = String(raw);
    if (!choices!.includes(v)) throw new Error(`flag --${name}: expected one of ${choices!.join(", ")}, got "${v}"`);
    return v;
  }
  const n = typeof raw === "number" ? raw : Number(String(raw));
  if (!Number.isFinite(n) || (kind === "int" && !Number.isInteger(n))) {
    throw new Error(`flag --${name}: expected ${kind === "int" ? "an integer" : "a number"}, got "${raw}"`);
  }
  return n;
}

function unknown(name: string): Error {
  const near = Object.keys(ALL).filter((k) => k.includes(name) || name.includes(k) || k.split("_")[0] === name.split("_")[0]);
  return new Error(`unknown flag --${name}: it is not one of guided-diffusion's script flags${near.length ? ` (did you mean ${near.map((k) => `--${k}`).join(", ")}?)` : ""}`);
}

/** The flags `input` sets, by name, as given (unknown names throw). */
function givenFlags(input: FlagInput): Map<string, unknown> {
  const given = new Map<string, unknown>();
  if (typeof input === "string") {
    const tokens = input.trim().split(/\s+/).filter((s) => s.length > 0);
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i];
      if (!tok.startsWith("--")) throw new Error(`flag string: expected --name before "${tok}"`);
      const eq = tok.indexOf("=");
      const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      if (!(name in ALL)) throw unknown(name);
      if (eq >= 0) given.set(name, tok.slice(eq + 1));
      else if (i + 1 < tokens.length && !tokens[i + 1].startsWith("--")) given.set(name, tokens[++i]);
      else if (ALL[name].kind === "str") given.set(name, "");
      else throw new Error(`flag --${name} needs a value`);
    }
  } else {
    for (const [name, v] of Object.entries(input)) {
      if (!(name in ALL)) throw unknown(name);
      given.set(name, v);
    }
  }
  return given;
}

/**
 * Parse a flag string (`--name value` or `--name=value`, as in guided-diffusion's README) or an object
 * of snake_case names. Unknown names and bad values throw an error naming the flag. Missing flags get
 * script defaults.
 */
export function parseFlags(input: FlagInput): GuidedDiffusionFlags {
  const given = givenFlags(input);
  const flags: Record<string, FlagValue> = {};
  for (const [name, flag] of Object.entries(ALL)) flags[name] = given.has(name) ? convert(name, given.get(name)) : flag.default;
  return flags as GuidedDiffusionFlags;
}

/** The subset of `flags` that configures the diffusion (steps, schedule, learn_sigma ...). */
export function diffusionFlags(flags: GuidedDiffusionFlags): DiffusionFlags {
  const out: Record<string, FlagValue> = {};
  for (const name of DIFFUSION_FLAG_NAMES) out[name] = flags[name];
  return out as DiffusionFlags;
}

/**
 * The flags `input` sets that shape a network: `unet` those of create_model alone (all of them but
 * image_size, which the classifier shares), `classifier` those of create_classifier.
 */
export function networkFlagsGiven(input: FlagInput): { unet: string[]; classifier: string[] } {
  const names = Array.from(givenFlags(input).keys());
  return {
    unet: names.filter((n) => n in MODEL && n !== "image_size"),
    classifier: names.filter((n) => n in CLASSIFIER),
  };
}
