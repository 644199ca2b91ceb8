/**
 * Guess which guided-diffusion flag is wrong when a checkpoint does not fit a model, from the keys and
 * shapes that disagree. Heads (num_heads, num_head_channels) and the attention order change no
 * parameter shape, so no checkpoint can reveal them.
 */
import { ParamSpec, torchShape } from "../nn/index";
import { StateDict } from "./tensor-record";

export interface KeyMismatch {
  missing: string[];
  unexpected: string[];
  /** name, checkpoint shape, model shape (both in PyTorch layout) */
  misshaped: { name: string; checkpoint: number[]; model: number[] }[];
}

function maxIndex(keys: Iterable<string>, prefix: string): number {
  let m = -1;
  for (const k of keys) {
    if (k.startsWith(prefix)) m = Math.max(m, Number(k.slice(prefix.length).split(".")[0]));
  }
  return m;
}

const RESAMPLE = /^(input_blocks\.\d+\.0\.op|output_blocks\.\d+\.\d+\.conv)\./;
const UPDOWN_RES = /^(input_blocks\.\d+\.0|output_blocks\.\d+\.\d+)\.in_layers\./;

/** Flags likely wrong, each as one sentence. */
export function mismatchHints(m: KeyMismatch, specs: readonly ParamSpec[], dict: StateDict): string[] {
  const hints: string[] = [];
  const model = new Set(specs.map((s) => s.name));
  const has = (list: string[], re: RegExp) => list.some((k) => re.test(k));
  const shapeOf = (name: string) => m.misshaped.find((x) => x.name === name);

  if (m.missing.includes("label_emb.weight")) hints.push("the checkpoint has no label_emb.weight, so it is unconditional: set class_cond False");
  if (m.unexpected.includes("label_emb.weight")) hints.push("the checkpoint has label_emb.weight, so it is class-conditional: set class_cond True");
  const lab = shapeOf("label_emb.weight");
  if (lab && lab.checkpoint[0] !== lab.model[0]) hints.push(`the checkpoint has ${lab.checkpoint[0]} classes, the model ${lab.model[0]}`);

  const te = shapeOf("time_embed.0.weight");
  if (te) hints.push(`num_channels (model_channels / classifier_width) is ${te.checkpoint[1]} in the checkpoint, ${te.model[1]} in the model`);

  const out = shapeOf("out.2.weight");
  if (out && out.checkpoint[0] === 2 * out.model[0])
    hints.push(`the checkpoint outputs ${out.checkpoint[0]} channels (eps and variance): set learn_sigma True`);
  else if (out && 2 * out.checkpoint[0] === out.model[0]) hints.push(`the checkpoint outputs ${out.checkpoint[0]} channels: set learn_sigma False`);

  const emb = m.misshaped.find((x) => x.name.endsWith(".emb_layers.1.weight"));
  if (emb && emb.checkpoint[0] === 2 * emb.model[0]) hints.push("emb_layers project to twice the width (scale and shift): set use_scale_shift_norm True");
  else if (emb && 2 * emb.checkpoint[0] === emb.model[0])
    hints.push("emb_layers project to the block width only (no scale-shift): set use_scale_shift_norm False");

  if (has(m.unexpected, RESAMPLE) && has(m.missing, UPDOWN_RES))
    hints.push("the checkpoint resamples with Downsample/Upsample convs (op/conv keys), not ResBlocks: set resblock_updown False");
  else if (has(m.missing, RESAMPLE) && has(m.unexpected, UPDOWN_RES))
    hints.push("the checkpoint resamples with ResBlocks (BigGAN up/down): set resblock_updown True");
  else if (has(m.missing, RESAMPLE) && !has(m.unexpected, RESAMPLE))
    hints.push("the checkpoint has no resampling convs: set conv_resample False (average pool / plain nearest)");
  else if (has(m.unexpected, RESAMPLE) && !has(m.missing, RESAMPLE)) hints.push("the checkpoint has resampling convs (op/conv keys): set conv_resample True");

  const ckptIn = maxIndex(dict.keys(), "input_blocks.");
  const modelIn = maxIndex(model, "input_blocks.");
  if (ckptIn !== modelIn)
    hints.push(
      `the checkpoint has ${ckptIn + 1} input blocks, the model ${modelIn + 1}: check num_res_blocks (classifier_depth) and channel_mult (image_size picks its default)`,
    );
  else if (m.misshaped.some((x) => /^(input|output)_blocks\./.test(x.name) && x.name.endsWith("in_layers.2.weight"))) {
    hints.push("block widths differ: check channel_mult and num_channels");
  }

  const attn = /\.(qkv|proj_out|norm)\./;
  if (has(m.missing, attn) || has(m.unexpected, attn))
    hints.push("attention blocks sit at different places: check attention_resolutions (and image_size, since they are given as resolutions)");

  const pos = shapeOf("out.2.positional_embedding");
  if (pos) hints.push(`the attention pool sees ${pos.checkpoint[1] - 1} positions in the checkpoint, ${pos.model[1] - 1} in the model: check image_size`);
  if (has(m.missing, /^out\./) || has(m.unexpected, /^out\./))
    hints.push("the output head differs: check classifier_pool (attention, adaptive, spatial, spatial_v2)");
  return hints;
}

/** Compare a checkpoint's keys and PyTorch-layout shapes with a model's specs. */
export function compareKeys(specs: readonly ParamSpec[], dict: StateDict): KeyMismatch {
  const expected = new Map(specs.map((s) => [s.name, s]));
  const missing = specs.filter((s) => !dict.has(s.name)).map((s) => s.name);
  const unexpected = [...dict.keys()].filter((k) => !expected.has(k));
  const misshaped: KeyMismatch["misshaped"] = [];
  for (const [name, rec] of dict) {
    const spec = expected.get(name);
    if (!spec) continue;
    const want = torchShape(spec);
    if (want.length !== rec.shape.length || want.some((d, i) => d !== rec.shape[i])) misshaped.push({ name, checkpoint: rec.shape, model: want });
  }
  return { missing, unexpected, misshaped };
}
