/**
 * safetensors: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`, then the raw
 * little-endian bytes. Tensors are read one by one with positioned reads; writes are atomic.
 */
import { closeSync, fstatSync, openSync } from "fs";
import { atomicWrite, readAt, readExact, writeAll } from "./file-bytes";
import { DType, DTYPE_BYTES, StateDict, TensorRecord, allocData, shapeSize } from "./tensor-record";
import { recordBytes } from "./npy";

const CODES: Record<DType, string> = {
  float32: "F32", float64: "F64", float16: "F16", bfloat16: "BF16", int64: "I64", int32: "I32", int16: "I16", int8: "I8", uint8: "U8", bool: "BOOL",
};
const FROM_CODE: Record<string, DType> = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k as DType]));

export interface Safetensors {
  tensors: StateDict;
  metadata: Record<string, string>;
}

interface HeaderEntry { dtype: string; shape: number[]; data_offsets: [number, number] }

/** Read every tensor of a .safetensors file (dtypes kept as stored) and its string metadata. */
export function readSafetensors(path: string): Safetensors {
  const file = { fd: openSync(path, "r"), path };
  try {
    const size = fstatSync(file.fd).size;
    const n = Number(readAt(file, { position: 0, length: 8 }).readBigUInt64LE(0));
    if (n > size - 8 || n > 100_000_000) throw new Error(`${path}: not a safetensors file (header length ${n})`);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(readAt(file, { position: 8, length: n }).toString("utf8"));
    } catch {
      throw new Error(`${path}: not a safetensors file (header is not JSON)`);
    }
    const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
    const tensors: StateDict = new Map();
    const entries = Object.entries(header).filter(([k]) => k !== "__metadata__") as [string, HeaderEntry][];
    entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
    for (const [name, e] of entries) {
      const dtype = FROM_CODE[e.dtype];
      if (!dtype) throw new Error(`${path}: tensor ${name} has unsupported dtype ${e.dtype}`);
      const count = shapeSize(e.shape);
      const [begin, end] = e.data_offsets;
      if (end - begin !== count * DTYPE_BYTES[dtype] || 8 + n + end > size) throw new Error(`${path}: tensor ${name} has bad data_offsets [${begin}, ${end}] for shape [${e.shape}] ${e.dtype}`);
      const data = allocData(dtype, count);
      readExact(file, new Uint8Array(data.buffer, 0, data.byteLength), 8 + n + begin);
      tensors.set(name, { dtype, shape: e.shape.slice(), data });
    }
    return { tensors, metadata };
  } finally {
    closeSync(file.fd);
  }
}

/** Write tensors (in the given order) and optional string metadata to `path` atomically. */
export function writeSafetensors(path: string, tensors: Map<string, TensorRecord>, metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== "string") throw new Error(`${path}: metadata ${k} must be a string`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    if (shapeSize(t.shape) !== t.data.length) throw new Error(`${path}: tensor ${name} has shape [${t.shape}] but ${t.data.length} values`);
    const bytes = t.data.length * DTYPE_BYTES[t.dtype];
    header[name] = { dtype: CODES[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const headerBytes = Buffer.alloc(Math.ceil(json.length / 8) * 8, 0x20);
  json.copy(headerBytes);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.length));
  atomicWrite(path, (fd) => {
    writeAll(fd, len);
    writeAll(fd, headerBytes);
    for (const t of tensors.values()) writeAll(fd, recordBytes(t));
  });
}
