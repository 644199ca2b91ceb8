/**
 * Move weights between a model and a PyTorch-layout state_dict (what guided-diffusion's `.pt` files,
 * and our safetensors, hold), permuting layouts once.
 */
import * as tf from "@tensorflow/tfjs";
import type { Module } from "../nn/index";
import { refuse } from "./errors";
import { KeyMismatch, compareKeys, mismatchHints } from "./load-hints";
import { StateDict, TensorRecord, toFloat32 } from "./tensor-record";
import { fromTorchLayout, toTorchLayout } from "./torch-layout";

/** The model's parameters as float32 records in PyTorch layout, in guided-diffusion's key order. */
export async function stateDict(model: Module): Promise<StateDict> {
  const out: StateDict = new Map();
  for (const spec of model.specs) {
    const v = model.params.get(spec.name);
    if (!v) throw new Error(`stateDict: the model lost parameter ${spec.name}`);
    const t = toTorchLayout(v, spec.layout);
    const data = (await t.data()) as Float32Array;
    out.set(spec.name, { dtype: "float32", shape: t.shape.slice(), data });
    t.dispose();
  }
  return out;
}

export interface LoadOptions {
  /** fail unless keys and shapes match exactly (default true) */
  strict?: boolean;
  /** the file the dict came from, for messages */
  source?: string;
}

/** What a non-strict load skipped. */
export type LoadReport = KeyMismatch;

function describe(m: KeyMismatch): string {
  const lines: string[] = [];
  if (m.missing.length) lines.push(`missing from the checkpoint (${m.missing.length}):`, ...m.missing.map((k) => `  ${k}`));
  if (m.unexpected.length) lines.push(`unexpected in the checkpoint (${m.unexpected.length}):`, ...m.unexpected.map((k) => `  ${k}`));
  if (m.misshaped.length) {
    lines.push(`different shapes (${m.misshaped.length}):`, ...m.misshaped.map((x) => `  ${x.name}: checkpoint [${x.checkpoint}], model [${x.model}]`));
  }
  return lines.join("\n");
}

/**
 * The parameter as float32, refused unless it is floating point and every value is finite: one NaN
 * weight makes every output NaN (all-black samples), so a corrupt file stops here, naming the key.
 */
function parameterValues(name: string, r: TensorRecord, source: string): Float32Array {
  const at = `tensor ${JSON.stringify(name)}`;
  if (!["float32", "float16", "bfloat16", "float64"].includes(r.dtype))
    refuse(source, at, `dtype ${r.dtype}; parameters must be floating point`, "save the weights as float32 (or float16/bfloat16/float64)");
  const values = toFloat32(r);
  let bad = 0,
    first = -1;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      if (bad++ === 0) first = i;
    }
  }
  if (bad > 0) {
    refuse(
      source,
      at,
      `${bad} of its ${values.length} values are not finite (the first, at flat index ${first}, is ${values[first]})`,
      "the weights are corrupt (or training diverged before they were saved): use an earlier checkpoint, download the file again, or retrain",
    );
  }
  return values;
}

/**
 * Copy a PyTorch-layout state_dict into the model's variables.
 * Strict (the default): any missing, unexpected or mis-shaped key fails with the full list and a hint
 * naming the flag that is probably wrong, and nothing is loaded. Non-strict: loads what fits and
 * returns what did not. A weight that is not floating point, or holds NaN or Inf, refuses the whole
 * load. Refusals are AdmInputErrors naming `opts.source` and the key.
 */
export function loadStateDict(model: Module, dict: StateDict, opts: LoadOptions = {}): LoadReport {
  const strict = opts.strict ?? true;
  const source = opts.source ?? "state_dict";
  const mismatch = compareKeys(model.specs, dict);
  const bad = mismatch.missing.length + mismatch.unexpected.length + mismatch.misshaped.length;
  if (strict && bad > 0) {
    const hints = mismatchHints(mismatch, model.specs, dict);
    refuse(
      source,
      "its keys and shapes",
      `the checkpoint does not fit the ${model.constructor.name} built from these flags:\n${describe(mismatch)}\n`,
      hints.length
        ? `likely wrong flags:\n${hints.map((h) => `  - ${h}`).join("\n")}`
        : "build the model with the configuration the checkpoint was trained with",
    );
  }
  const skip = new Set(mismatch.misshaped.map((x) => x.name));
  const load = model.specs.filter((spec) => dict.has(spec.name) && !skip.has(spec.name));
  // every value is checked before any is assigned, so a refused file leaves the model as it was
  const values = load.map((spec) => parameterValues(spec.name, dict.get(spec.name) as TensorRecord, source));
  load.forEach((spec, i) => {
    const v = model.params.get(spec.name) as tf.Variable;
    tf.tidy(() => {
      v.assign(fromTorchLayout(tf.tensor(values[i], (dict.get(spec.name) as TensorRecord).shape, "float32"), spec.layout));
    });
  });
  return mismatch;
}
