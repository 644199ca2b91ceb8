/**
 * Where the emitter reads a network's weights, by state_dict name, in our layouts (conv HWIO, linear
 * `[in, out]`): a tfjs model's variables, or a checkpoint's state_dict read straight from its file,
 * so that models too large for the wasm heap (ImageNet 128 to 512) become ONNX graphs without ever
 * being tfjs models.
 */
import { Params, ParamSpec, param, torchShape } from "../nn/index";
import { compareKeys, mismatchHints } from "../io/load-hints";
import { StateDict, toFloat32 } from "../io/tensor-record";

/** A parameter's values and shape in our layout. */
export type WeightSource = (name: string) => { data: Float32Array; shape: number[] };

/** The variables of a tfjs model (copied out of the backend as they are now). */
export function paramsWeights(params: Params): WeightSource {
  return (name) => {
    const v = param(params, name);
    return { data: v.dataSync() as Float32Array, shape: v.shape.slice() };
  };
}

/** PyTorch layout -> ours, in plain JavaScript (see ParamLayout in lib/nn/params). */
function fromTorch(spec: ParamSpec, data: Float32Array): Float32Array {
  const s = spec.shape;
  switch (spec.layout) {
    case "same":
      return data;
    case "linear":
    case "transposed":
    case "conv1d": {
      // [out, in] (or [out, in, 1]) -> [in, out]
      const [rows, cols] = [s[1], s[0]];
      const out = new Float32Array(data.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
      return out;
    }
    case "conv2d": {
      // OIHW [o, i, kh, kw] -> HWIO [kh, kw, i, o]
      const [kh, kw, ci, co] = s;
      const out = new Float32Array(data.length);
      for (let o = 0; o < co; o++) {
        for (let i = 0; i < ci; i++) {
          for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * ci + i) * co + o] = data[((o * ci + i) * kh + y) * kw + x];
        }
      }
      return out;
    }
  }
}

/**
 * A PyTorch-layout state_dict (float32, float16 or bfloat16) checked against the network's specs:
 * a checkpoint that does not fit fails here, with the keys and the flags that are probably wrong.
 */
export function stateDictWeights(dict: StateDict, specs: readonly ParamSpec[], source = "state_dict"): WeightSource {
  const m = compareKeys(specs, dict);
  if (m.missing.length || m.unexpected.length || m.misshaped.length) {
    const list = (what: string, keys: string[]) =>
      keys.length ? [`${what} (${keys.length}): ${keys.slice(0, 8).join(", ")}${keys.length > 8 ? ", ..." : ""}`] : [];
    const lines = [
      ...list("missing from the checkpoint", m.missing),
      ...list("unexpected in the checkpoint", m.unexpected),
      ...list(
        "different shapes",
        m.misshaped.map((x) => `${x.name} [${x.checkpoint}] vs [${x.model}]`),
      ),
      ...mismatchHints(m, specs, dict).map((h) => `likely: ${h}`),
    ];
    throw new Error(`${source} does not fit the network built from these flags:\n  ${lines.join("\n  ")}`);
  }
  const byName = new Map(specs.map((s) => [s.name, s]));
  return (name) => {
    const spec = byName.get(name);
    const rec = dict.get(name);
    if (!spec || !rec) throw new Error(`${source}: no parameter ${name}`);
    if (!["float32", "float16", "bfloat16"].includes(rec.dtype))
      throw new Error(`${source}: ${name} has dtype ${rec.dtype}; parameters must be floating point`);
    if (rec.shape.join() !== torchShape(spec).join()) throw new Error(`${source}: ${name} is [${rec.shape}], expected [${torchShape(spec)}]`);
    return { data: fromTorch(spec, toFloat32(rec)), shape: spec.shape.slice() };
  };
}
