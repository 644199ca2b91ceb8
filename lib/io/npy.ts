/**
 * NumPy `.npy` (format 1.0 to 3.0): a magic string, a Python-literal header dict
 * (`descr`, `fortran_order`, `shape`), then the C-order data. Little-endian and byte dtypes only.
 */
import { readFileSync } from "fs";
import { atomicWrite, writeAll } from "./file-bytes";
import { DType, TensorRecord, allocData, shapeSize, DTYPE_BYTES } from "./tensor-record";

const DESCR_TO_DTYPE: Record<string, DType> = {
  "<f4": "float32", "<f8": "float64", "<f2": "float16", "<i8": "int64", "<i4": "int32", "<i2": "int16",
  "|i1": "int8", "|u1": "uint8", "|b1": "bool",
};
const DTYPE_TO_DESCR: Partial<Record<DType, string>> = Object.fromEntries(Object.entries(DESCR_TO_DTYPE).map(([k, v]) => [v, k]));

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Parse npy bytes; `source` names the file (or npz member) in errors. */
export function parseNpy(bytes: Uint8Array, source: string): TensorRecord {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || MAGIC.some((m, i) => buf[i] !== m)) throw new Error(`${source}: not an .npy file (bad magic)`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString(major === 3 ? "utf8" : "latin1", start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${source}: unreadable .npy header ${header.trim()}`);
  const dtype = DESCR_TO_DTYPE[descr];
  if (!dtype) throw new Error(`${source}: dtype ${descr} is not supported (use one of ${Object.keys(DESCR_TO_DTYPE).join(" ")})`);
  if (fortran === "True") throw new Error(`${source}: Fortran-order arrays are not supported; save np.ascontiguousarray(a)`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const n = shapeSize(shape);
  const dataStart = start + headerLen;
  if (buf.length - dataStart < n * DTYPE_BYTES[dtype]) throw new Error(`${source}: truncated data (shape [${shape}] ${descr})`);
  const data = allocData(dtype, n);
  new Uint8Array(data.buffer).set(buf.subarray(dataStart, dataStart + n * DTYPE_BYTES[dtype]));
  return { dtype, shape, data };
}

/** The npy header (format 1.0, padded so the data starts on a 64-byte boundary). */
export function npyHeader(t: TensorRecord, source: string): Buffer {
  const descr = DTYPE_TO_DESCR[t.dtype];
  if (!descr) throw new Error(`${source}: dtype ${t.dtype} cannot be written to .npy`);
  if (shapeSize(t.shape) !== t.data.length) throw new Error(`${source}: shape [${t.shape}] does not match ${t.data.length} values`);
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(", ")})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, " ") + "\n";
  const head = Buffer.alloc(10);
  MAGIC.forEach((m, i) => (head[i] = m));
  head[6] = 1;
  head.writeUInt16LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, "latin1")]);
}

/** The record's bytes (no copy). */
export function recordBytes(t: TensorRecord): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function readNpy(path: string): TensorRecord {
  return parseNpy(readFileSync(path), path);
}

/** Write one array as .npy (atomically). */
export function writeNpy(path: string, t: TensorRecord): void {
  const header = npyHeader(t, path);
  atomicWrite(path, (fd) => {
    writeAll(fd, header);
    writeAll(fd, recordBytes(t));
  });
}
