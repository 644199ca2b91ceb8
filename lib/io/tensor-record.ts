/**
 * The plain tensor record every reader and writer here shares: dtype, shape, and a typed array in
 * C (row-major) order. float16 and bfloat16 keep their raw 16-bit patterns in a Uint16Array.
 */
import { describe, isCount, refuse } from "./errors";

export type DType = "float32" | "float64" | "float16" | "bfloat16" | "int64" | "int32" | "int16" | "int8" | "uint8" | "bool";

export type TensorData = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface TensorRecord {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

/** Named tensors in file order (a PyTorch state_dict, a safetensors or npz file). */
export type StateDict = Map<string, TensorRecord>;

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** A zero-filled typed array of `n` elements of `dtype`. */
export function allocData(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "float16":
    case "bfloat16":
      return new Uint16Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "int32":
      return new Int32Array(n);
    case "int16":
      return new Int16Array(n);
    case "int8":
      return new Int8Array(n);
    case "uint8":
    case "bool":
      return new Uint8Array(n);
  }
}

/**
 * `allocData` for a loader: an allocation the machine cannot make (after every size check passed)
 * is refused naming the file, not left as a RangeError.
 */
export function allocFor(dtype: DType, n: number, file: string, at: string): TensorData {
  try {
    return allocData(dtype, n);
  } catch (e) {
    if ((e as Error).name !== "RangeError") throw e; // by name: the error may come from another realm (jest, vm)
    refuse(file, at, `cannot allocate ${n * DTYPE_BYTES[dtype]} bytes (${(e as Error).message})`, "free memory, or load the file on a machine with more");
  }
}

/** Product of a shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A shape read from a file, checked: a list of non-negative integers whose product (the element
 * count) is a safe integer. `[-2, -2]`, `[1.5]` and `"4"` are refused, never reinterpreted.
 */
export function checkShape(shape: unknown, file: string, at: string): number[] {
  const fix = "the file is corrupt or not written by numpy/PyTorch/safetensors: save it again";
  if (!Array.isArray(shape)) refuse(file, at, `the shape is ${describe(shape)}, not a list of dimensions`, fix);
  let n = 1;
  for (const d of shape) {
    if (!isCount(d)) refuse(file, at, `the shape ${describe(shape)} has the dimension ${describe(d)}; dimensions are non-negative integers`, fix);
    n *= d;
    if (!Number.isSafeInteger(n)) refuse(file, at, `the shape ${describe(shape)} has more elements than any array can`, fix);
  }
  return shape.slice() as number[];
}

/** IEEE half bits -> float. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float -> IEEE half bits, rounding to nearest even. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/**
 * The record's values as float32 (float16/bfloat16 upcast exactly, float64 and ints rounded).
 * Returns the record's own array when it already is float32.
 */
export function toFloat32(r: TensorRecord): Float32Array {
  const d = r.data;
  if (r.dtype === "float32") return d as Float32Array;
  const out = new Float32Array(d.length);
  if (r.dtype === "float16") {
    for (let i = 0; i < d.length; i++) out[i] = halfToFloat((d as Uint16Array)[i]);
  } else if (r.dtype === "bfloat16") {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < d.length; i++) bits[i] = (d as Uint16Array)[i] << 16;
  } else if (r.dtype === "int64") {
    for (let i = 0; i < d.length; i++) out[i] = Number((d as BigInt64Array)[i]);
  } else {
    for (let i = 0; i < d.length; i++) out[i] = (d as Float64Array | Int32Array)[i];
  }
  return out;
}

/** A float32 record. */
export function float32Record(shape: number[], data: Float32Array): TensorRecord {
  if (shapeSize(shape) !== data.length) throw new Error(`shape [${shape}] needs ${shapeSize(shape)} values, got ${data.length}`);
  return { dtype: "float32", shape, data };
}
