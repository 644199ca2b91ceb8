/**
 * Move weights between a model and a PyTorch-layout state_dict (what guided-diffusion's `.pt` files,
 * and our safetensors, hold), permuting layouts once.
 */
import * as tf from "@tensorflow/tfjs";
import type { Module } from "../nn/index";
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

function recordToTensor(name: string, r: TensorRecord, source: string): tf.Tensor {
  if (!["float32", "float16", "bfloat16", "float64"].includes(r.dtype)) throw new Error(`${source}: ${name} has dtype ${r.dtype}; parameters must be floating point`);
  return tf.tensor(toFloat32(r), r.shape, "float32");
}

/**
 * Copy a PyTorch-layout state_dict into the model's variables.
 * Strict (the default): any missing, unexpected or mis-shaped key fails with the full list and a hint
 * naming the flag that is probably wrong, and nothing is loaded. Non-strict: loads what fits and
 * returns what did not.
 */
export function loadStateDict(model: Module, dict: StateDict, opts: LoadOptions = {}): LoadReport {
  const strict = opts.strict ?? true;
  const source = opts.source ?? "state_dict";
  const mismatch = compareKeys(model.specs, dict);
  const bad = mismatch.missing.length + mismatch.unexpected.length + mismatch.misshaped.length;
  if (strict && bad > 0) {
    const hints = mismatchHints(mismatch, model.specs, dict);
    throw new Error(
      `loading ${source} into ${model.constructor.name} failed: the checkpoint does not fit the model built from these flags.\n${describe(mismatch)}` +
        (hints.length ? `\nLikely wrong flags:\n${hints.map((h) => `  - ${h}`).join("\n")}` : ""),
    );
  }
  const skip = new Set(mismatch.misshaped.map((x) => x.name));
  for (const spec of model.specs) {
    const rec = dict.get(spec.name);
    if (!rec || skip.has(spec.name)) continue;
    const v = model.params.get(spec.name) as tf.Variable;
    tf.tidy(() => {
      v.assign(fromTorchLayout(recordToTensor(spec.name, rec, source), spec.layout));
    });
  }
  return mismatch;
}
