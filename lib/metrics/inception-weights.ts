/**
 * Weights for the FID InceptionV3 (./inception-v3).
 *
 * Where they come from: pytorch-fid's port of the 2015-12-05 TensorFlow graph that FID is defined on,
 * released as pt_inception-2015-12-05-6726825d.pth (about 92 MB) at
 * https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth
 * Our machines have no internet access, so the file cannot be fetched here: download it where you
 * can and pass its path (or set ADM_INCEPTION_WEIGHTS). The .pth is read as it is (lib/io's restricted
 * unpickler); a .safetensors or .npz with the same names works too, e.g. converted once with
 *
 *   import torch; from safetensors.torch import save_file
 *   sd = torch.load("pt_inception-2015-12-05-6726825d.pth", map_location="cpu")
 *   save_file({k: v.float().contiguous() for k, v in sd.items()}, "pt_inception-2015-12-05.safetensors")
 *
 * Names and shapes are those of the state dict:
 * "<conv>.conv.weight" [out, in, kh, kw], "<conv>.bn.{weight,bias,running_mean,running_var}" [out],
 * "fc.weight" [1008, 2048] and "fc.bias" [1008] (the bias is read for completeness; see inception-v3).
 */
import * as tf from "@tensorflow/tfjs";
import { extname } from "path";
import { refuse } from "../io/errors";
import { readNpz } from "../io/npz";
import { readSafetensors } from "../io/safetensors";
import { StateDict, toFloat32 } from "../io/tensor-record";
import { loadTorchCheckpoint } from "../io/torch-checkpoint";
import { BATCH_NORM_EPS, FoldedConv, INCEPTION_CLASSES, INCEPTION_POOL_DIM, InceptionV3, inceptionConvs } from "./inception-v3";

export interface StateDictEntry {
  name: string;
  shape: number[];
  /** false for batch-norm running statistics (buffers, not parameters) */
  learnable: boolean;
}

/** Every entry of the FID InceptionV3 state dict, in forward order. */
export function inceptionStateDict(): StateDictEntry[] {
  const entries: StateDictEntry[] = [];
  for (const c of inceptionConvs()) {
    entries.push({ name: `${c.name}.conv.weight`, shape: [c.outChannels, c.inChannels, c.kernel[0], c.kernel[1]], learnable: true });
    entries.push({ name: `${c.name}.bn.weight`, shape: [c.outChannels], learnable: true });
    entries.push({ name: `${c.name}.bn.bias`, shape: [c.outChannels], learnable: true });
    entries.push({ name: `${c.name}.bn.running_mean`, shape: [c.outChannels], learnable: false });
    entries.push({ name: `${c.name}.bn.running_var`, shape: [c.outChannels], learnable: false });
  }
  entries.push({ name: "fc.weight", shape: [INCEPTION_CLASSES, INCEPTION_POOL_DIM], learnable: true });
  entries.push({ name: "fc.bias", shape: [INCEPTION_CLASSES], learnable: true });
  return entries;
}

/** Number of learnable parameters (23,850,960: torchvision's Inception3 without AuxLogits, with 1008 classes). */
export function countInceptionParameters(): number {
  return inceptionStateDict()
    .filter((e) => e.learnable)
    .reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Build the network from a state dict (`source` names the file in errors). Batch norm is folded into
 * each conv once here: with s = gamma / sqrt(var + 1e-3), kernel' = kernel * s and bias' = beta - mean * s.
 */
export function loadInceptionV3(weights: StateDict, source: string): InceptionV3 {
  const entries = inceptionStateDict();
  const missing = entries.filter((e) => !weights.has(e.name)).map((e) => e.name);
  if (missing.length > 0) {
    refuse(
      source,
      "its keys",
      `not FID InceptionV3 weights; missing ${missing.length} of ${entries.length} keys (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""})`,
      "give pytorch-fid's pt_inception-2015-12-05 state dict (see lib/metrics/inception-weights.ts)",
    );
  }
  const arrays = new Map<string, Float32Array>();
  for (const e of entries) {
    const record = weights.get(e.name);
    const got = record ? record.shape : [];
    if (!record || got.length !== e.shape.length || got.some((v, i) => v !== e.shape[i])) {
      refuse(
        source,
        `tensor ${JSON.stringify(e.name)}`,
        `${e.name} has shape [${got}], expected [${e.shape}]`,
        "give pytorch-fid's pt_inception-2015-12-05 state dict",
      );
    }
    if (!["float32", "float16", "bfloat16", "float64"].includes(record.dtype))
      refuse(
        source,
        `tensor ${JSON.stringify(e.name)}`,
        `dtype ${record.dtype}; weights are floating point`,
        "give pytorch-fid's pt_inception-2015-12-05 state dict",
      );
    const values = toFloat32(record);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) refuse(source, `tensor ${JSON.stringify(e.name)}`, `value ${bad} is ${values[bad]}`, "the weights are corrupt: download them again");
    arrays.set(e.name, values);
  }
  const get = (name: string): Float32Array => arrays.get(name) as Float32Array;
  const convs = new Map<string, FoldedConv>();
  const created: tf.Tensor[] = [];
  for (const c of inceptionConvs()) {
    const w = get(`${c.name}.conv.weight`);
    const gamma = get(`${c.name}.bn.weight`);
    const beta = get(`${c.name}.bn.bias`);
    const mean = get(`${c.name}.bn.running_mean`);
    const variance = get(`${c.name}.bn.running_var`);
    const [o, i, kh, kw] = [c.outChannels, c.inChannels, c.kernel[0], c.kernel[1]];
    const kernel = new Float32Array(kh * kw * i * o);
    const bias = new Float32Array(o);
    for (let oc = 0; oc < o; oc++) {
      const s = gamma[oc] / Math.sqrt(variance[oc] + BATCH_NORM_EPS);
      bias[oc] = beta[oc] - mean[oc] * s;
      for (let ic = 0; ic < i; ic++) {
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) {
            // OIHW (PyTorch) -> HWIO (tfjs)
            kernel[((y * kw + x) * i + ic) * o + oc] = w[((oc * i + ic) * kh + y) * kw + x] * s;
          }
        }
      }
    }
    const folded = { kernel: tf.tensor4d(kernel, [kh, kw, i, o]), bias: tf.tensor1d(bias) };
    created.push(folded.kernel, folded.bias);
    convs.set(c.name, folded);
  }
  const fc = get("fc.weight");
  const logits = new Float32Array(INCEPTION_POOL_DIM * INCEPTION_CLASSES);
  for (let k = 0; k < INCEPTION_CLASSES; k++) {
    for (let j = 0; j < INCEPTION_POOL_DIM; j++) logits[j * INCEPTION_CLASSES + k] = fc[k * INCEPTION_POOL_DIM + j];
  }
  const logitsWeight = tf.tensor2d(logits, [INCEPTION_POOL_DIM, INCEPTION_CLASSES]);
  created.push(logitsWeight);
  return { convs, logitsWeight, dispose: () => created.forEach((t) => t.dispose()) };
}

/** Read FID InceptionV3 weights from a .pth (pytorch-fid's release), .safetensors or .npz file. */
export function readInceptionV3(path: string): InceptionV3 {
  const ext = extname(path).toLowerCase();
  let weights: StateDict;
  if (ext === ".safetensors") weights = readSafetensors(path).tensors;
  else if (ext === ".npz") weights = readNpz(path);
  else if (ext === ".pth" || ext === ".pt") weights = loadTorchCheckpoint(path);
  else refuse(path, "extension", `unknown weights format "${ext}"`, "use .pth (pytorch-fid's file), .safetensors or .npz");
  return loadInceptionV3(weights, path);
}
