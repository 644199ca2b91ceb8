/**
 * Start a run from another trained model's weights instead of random ones.
 *
 * Same architecture: the weights are copied (fine-tuning). Class-conditional source, unconditional
 * target: ADM adds the label embedding to the timestep embedding,
 *   emb = time_embed(t) + label_emb(y)      (time_embed = linear, SiLU, linear "time_embed.2"),
 * so a model trained with label dropout, asked for its null class, is exactly an unconditional
 * network whose last time-embedding bias is time_embed.2.bias + label_emb.weight[null]. Folding that
 * row into the bias turns the classifier-free-guidance model into the unconditional one it contains.
 */
import { refuse } from "../io/errors";
import type { StateDict, TensorRecord } from "../io/tensor-record";
import { toFloat32 } from "../io/tensor-record";
import { loadStateDict } from "../io/state-dict";
import type { Module } from "../nn/index";
import type { CourseModelConfig } from "./model-configs";
import { readTrainedFile } from "./trained-model";

const LABEL_KEY = "label_emb.weight";
const BIAS_KEY = "time_embed.2.bias";

/**
 * The state_dict of the unconditional network inside a class-conditional one: `label_emb.weight`
 * removed and its row `nullClass` added to `time_embed.2.bias`. `source` names the file for errors.
 */
export function foldNullClass(dict: StateDict, nullClass: number, source = "state_dict"): StateDict {
  const table = dict.get(LABEL_KEY);
  const bias = dict.get(BIAS_KEY);
  const label = `tensor ${JSON.stringify(LABEL_KEY)}`,
    biasAt = `tensor ${JSON.stringify(BIAS_KEY)}`;
  if (!table)
    refuse(
      source,
      label,
      `no ${LABEL_KEY}; it is not a class-conditional model, so there is no null class to fold`,
      "start an unconditional run from an unconditional model or a class-conditional one trained with label dropout",
    );
  if (!bias) refuse(source, biasAt, `no ${BIAS_KEY}; it is not an ADM UNet state_dict`, "give an ADM UNet checkpoint");
  if (table.shape.length !== 2) refuse(source, label, `${LABEL_KEY} has shape [${table.shape}], not [classes, channels]`, "give an ADM UNet checkpoint");
  const [rows, dim] = table.shape;
  if (!Number.isInteger(nullClass) || nullClass < 0 || nullClass >= rows) {
    refuse(
      source,
      label,
      `null class ${nullClass} is outside ${LABEL_KEY} [${table.shape}] (rows 0..${rows - 1})`,
      "fold a label the table has: the null class is its last row",
    );
  }
  if (bias.shape.length !== 1 || bias.shape[0] !== dim) {
    refuse(
      source,
      biasAt,
      `${BIAS_KEY} has shape [${bias.shape}] but ${LABEL_KEY} rows have ${dim} entries`,
      "give an ADM UNet checkpoint whose label table and time embedding agree",
    );
  }
  const b = toFloat32(bias);
  const w = toFloat32(table);
  const folded = new Float32Array(dim);
  for (let j = 0; j < dim; j++) folded[j] = b[j] + w[nullClass * dim + j];
  const out: StateDict = new Map();
  for (const [k, v] of dict) {
    if (k === LABEL_KEY) continue;
    out.set(k, k === BIAS_KEY ? ({ dtype: "float32", shape: [dim], data: folded } as TensorRecord) : v);
  }
  return out;
}

/** Where a warm-started run began (stored in its run configuration and shown in its model card). */
export interface WarmStartInfo {
  dir: string;
  name: string;
  step: number;
  /** the null class folded into the time embedding (conditional source, unconditional target) */
  foldedNullClass: number | null;
}

/**
 * Load the EMA weights of the trained model in `dir` (its model.safetensors) into `model`, built
 * from `target`: copied when the architectures agree, or with the null class folded in when a
 * class-conditional model trained with label dropout starts an unconditional one.
 */
export function warmStart(model: Module, target: CourseModelConfig, dir: string): WarmStartInfo {
  const { path, run: source, step, tensors } = readTrainedFile(dir, "--init-from");
  if (source.model.kind !== target.kind)
    refuse(
      `--init-from ${dir}`,
      '__metadata__ "config" model.kind',
      `holds a ${source.model.kind} model; this run trains a ${target.kind}`,
      `start from a ${target.kind}`,
    );
  let dict = tensors;
  let foldedNullClass: number | null = null;
  if (source.model.kind === "diffusion" && target.kind === "diffusion" && source.model.unet.numClasses != null && target.unet.numClasses == null) {
    if (!(source.model.classDropout > 0)) {
      refuse(
        `--init-from ${dir}`,
        '__metadata__ "config" model.classDropout',
        "a class-conditional model without label dropout has no null class, so it holds no unconditional model to start from",
        "start from an unconditional model, or one trained with --config fashion-cond (label dropout 0.1)",
      );
    }
    foldedNullClass = source.model.unet.numClasses - 1;
    dict = foldNullClass(tensors, foldedNullClass, path);
  }
  loadStateDict(model, dict, { source: path });
  return { dir, name: source.name, step, foldedNullClass };
}
