/**
 * Weights for the FID InceptionV3 as a pure function of each state-dict name, bit for bit the ones
 * test/fixtures/metrics/make_inception_golden.py hands to pytorch-fid (its docstring states the rule):
 * a hash of (name, flat index) gives u in [0, 1); a weight is base + (u - 0.5) * spread, rounded once
 * to float32. Kernels get He variance 2 / fan_in, batch norm stays near the identity.
 */
import { float32Record, StateDict } from "../../lib/io/tensor-record";
import { inceptionStateDict } from "../../lib/metrics/inception-weights";

// A module-level copy: inside jest's sandbox every lookup of the global Math is slow, and the
// generator calls it tens of millions of times.
const imul = Math.imul;

/** FNV-1a, 32 bits, of the name's bytes (the names are ASCII). */
function fnv1a(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Chris Wellons' lowbias32 integer mixer. */
function lowbias32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** One state-dict entry's values, row-major. */
export function generatedWeights(name: string, shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const key = fnv1a(name);
  const [base, spread] =
    name.endsWith("conv.weight") || name === "fc.weight"
      ? [0, Math.sqrt(24 / (n / shape[0]))]
      : name.endsWith("bn.weight") || name.endsWith("running_var")
        ? [1, 0.4]
        : [0, 0.4];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (lowbias32((key + imul(i, 0x9e3779b9)) >>> 0) >>> 8) / 16777216;
    out[i] = base + (u - 0.5) * spread;
  }
  return out;
}

/** The whole state dict (every entry lib/metrics/inception-weights expects). */
export function generatedInceptionWeights(): StateDict {
  const out: StateDict = new Map();
  for (const e of inceptionStateDict()) out.set(e.name, float32Record(e.shape, generatedWeights(e.name, e.shape)));
  return out;
}
