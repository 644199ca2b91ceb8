/**
 * safetensors: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`, then the raw
 * little-endian bytes. Tensors are read one by one with positioned reads; writes are atomic.
 */
import { closeSync } from "fs";
import { REDOWNLOAD, describe, isCount, refuse } from "./errors";
import { openRead, readAt, readExact } from "./file-bytes";
import { StagedFile, stageFile, writeAll } from "./write-files";
import { LoadLimits, decodeBudget } from "./limits";
import { DType, DTYPE_BYTES, StateDict, TensorRecord, allocFor, checkShape, shapeSize } from "./tensor-record";
import { recordBytes } from "./npy";

const CODES: Record<DType, string> = {
  float32: "F32",
  float64: "F64",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
};
const FROM_CODE: Record<string, DType> = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k as DType]));

/** The format's own cap on the JSON header (safetensors refuses larger ones too). */
const MAX_HEADER = 100_000_000;
const NOT_SAFETENSORS = "save it with safetensors (save_file) or adm-ts's writeSafetensors";

export interface Safetensors {
  tensors: StateDict;
  metadata: Record<string, string>;
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** One header entry, checked: exactly dtype, shape and data_offsets, sized consistently. */
function checkEntry(path: string, name: string, e: unknown): Entry {
  const at = `tensor ${JSON.stringify(name)}`;
  if (e === null || typeof e !== "object" || Array.isArray(e))
    refuse(path, at, `the header entry is ${describe(e)}, not {dtype, shape, data_offsets}`, NOT_SAFETENSORS);
  const { dtype: code, shape, data_offsets: offsets, ...extra } = e as Record<string, unknown>;
  const unknown = Object.keys(extra);
  if (unknown.length) refuse(path, at, `the header entry has unknown fields (${unknown.join(", ")})`, NOT_SAFETENSORS);
  const dtype = typeof code === "string" ? FROM_CODE[code] : undefined;
  if (!dtype)
    refuse(
      path,
      at,
      `unsupported dtype ${describe(code)} (supported: ${Object.values(CODES).join(", ")})`,
      "convert the tensor to a supported dtype before saving",
    );
  const dims = checkShape(shape, path, `${at} shape`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    refuse(path, `${at} data_offsets`, `data_offsets ${describe(offsets)} are not [begin, end] with 0 <= begin <= end`, REDOWNLOAD);
  }
  const [begin, end] = offsets as number[];
  const need = shapeSize(dims) * DTYPE_BYTES[dtype];
  if (end - begin !== need)
    refuse(path, `${at} data_offsets`, `data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape [${dims}] ${code} needs ${need}`, REDOWNLOAD);
  return { name, dtype, shape: dims, begin, end };
}

/** The checked header of an open safetensors file: its length, entries (in data order) and metadata. */
function readHeader(fd: number, size: number, path: string): { headerLen: number; entries: Entry[]; metadata: Record<string, string> } {
  if (size < 8) refuse(path, "header length", `not a safetensors file (${size} bytes, shorter than its 8-byte header length)`, NOT_SAFETENSORS);
  const n = readAt(fd, path, 0, 8).readBigUInt64LE(0);
  if (n > BigInt(Math.min(size - 8, MAX_HEADER)))
    refuse(path, "header length", `not a safetensors file (header length ${n}, in a file of ${size} bytes)`, NOT_SAFETENSORS);
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(readAt(fd, path, 8, headerLen).toString("utf8"));
  } catch {
    refuse(path, "header", "not a safetensors file (header is not JSON)", NOT_SAFETENSORS);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header))
    refuse(path, "header", `not a safetensors file (the header is ${describe(header)}, not an object)`, NOT_SAFETENSORS);
  const { __metadata__: meta, ...named } = header as Record<string, unknown>;
  const metadata = checkMetadata(path, meta);
  const entries = Object.entries(named).map(([name, e]) => checkEntry(path, name, e));
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataLen = size - 8 - headerLen;
  let covered = 0;
  for (const e of entries) {
    if (e.begin !== covered) {
      const what = e.begin < covered ? `overlaps the tensor before it (which ends at ${covered})` : `leaves bytes ${covered} to ${e.begin} unused`;
      refuse(
        path,
        `tensor ${JSON.stringify(e.name)} data_offsets`,
        `data_offsets [${e.begin}, ${e.end}] ${what}; the format requires tensors to tile the data`,
        REDOWNLOAD,
      );
    }
    covered = e.end;
  }
  if (covered !== dataLen)
    refuse(
      path,
      "data",
      `the tensors cover ${covered} bytes but the file holds ${dataLen} after its header (${covered > dataLen ? "truncated" : "trailing data"})`,
      REDOWNLOAD,
    );
  return { headerLen, entries, metadata };
}

/**
 * Read every tensor of a .safetensors file (dtypes kept as stored) and its string metadata. The
 * header is checked as the format defines it: well-formed entries whose byte ranges tile the data
 * exactly (no gaps, no overlaps, nothing past the end or before the start). Throws AdmInputError,
 * naming the file and tensor, for anything it will not read.
 */
export function readSafetensors(path: string, limits?: LoadLimits): Safetensors {
  const { fd, size } = openRead(path);
  try {
    const { headerLen, entries, metadata } = readHeader(fd, size, path);
    const budget = decodeBudget(path, size, limits);
    const tensors: StateDict = new Map();
    for (const e of entries) {
      budget.take(e.end - e.begin, `tensor ${JSON.stringify(e.name)}`);
      const data = allocFor(e.dtype, shapeSize(e.shape), path, `tensor ${JSON.stringify(e.name)}`);
      readExact(fd, path, new Uint8Array(data.buffer, 0, data.byteLength), 8 + headerLen + e.begin);
      tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
    }
    return { tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

/** The string metadata of a .safetensors file, its whole header checked but no tensor read. */
export function readSafetensorsMetadata(path: string): Record<string, string> {
  const { fd, size } = openRead(path);
  try {
    return readHeader(fd, size, path).metadata;
  } finally {
    closeSync(fd);
  }
}

/**
 * The JSON value stored as the string `metadata[key]` of the safetensors file `path`. Throws
 * AdmInputError naming the file and key when it is missing or not JSON; `fix` says what to do.
 */
export function metadataJson(path: string, metadata: Record<string, string>, key: string, fix: string): unknown {
  const at = `__metadata__ ${JSON.stringify(key)}`;
  const text = metadata[key];
  if (text === undefined) refuse(path, at, `the metadata has no ${JSON.stringify(key)}`, fix);
  try {
    return JSON.parse(text);
  } catch (e) {
    return refuse(path, at, `${JSON.stringify(key)} is not JSON (${(e as Error).message})`, fix);
  }
}

function checkMetadata(path: string, meta: unknown): Record<string, string> {
  if (meta === undefined) return {};
  if (meta === null || typeof meta !== "object" || Array.isArray(meta))
    refuse(path, "__metadata__", `__metadata__ is ${describe(meta)}, not an object of strings`, NOT_SAFETENSORS);
  const entries = Object.entries(meta as Record<string, unknown>);
  for (const [k, v] of entries)
    if (typeof v !== "string")
      refuse(path, `__metadata__ ${JSON.stringify(k)}`, `metadata values must be strings, this one is ${describe(v)}`, NOT_SAFETENSORS);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Stage tensors (in the given order) and optional string metadata beside `path`; `commit()` puts the file in place. */
export function stageSafetensors(path: string, tensors: Map<string, TensorRecord>, metadata?: Record<string, string>): StagedFile {
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== "string")
        refuse(path, `__metadata__ ${JSON.stringify(k)}`, `metadata ${k} is ${describe(v)}`, "give every metadata value as a string (JSON.stringify objects)");
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    if (shapeSize(t.shape) !== t.data.length)
      refuse(path, `tensor ${JSON.stringify(name)}`, `shape [${t.shape}] but ${t.data.length} values`, "give a shape whose product is the number of values");
    const bytes = t.data.length * DTYPE_BYTES[t.dtype];
    header[name] = { dtype: CODES[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const headerBytes = Buffer.alloc(Math.ceil(json.length / 8) * 8, 0x20);
  json.copy(headerBytes);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.length));
  return stageFile(path, (fd) => {
    writeAll(fd, len);
    writeAll(fd, headerBytes);
    for (const t of tensors.values()) writeAll(fd, recordBytes(t));
  });
}

/** Write tensors (in the given order) and optional string metadata to `path` atomically. */
export function writeSafetensors(path: string, tensors: Map<string, TensorRecord>, metadata?: Record<string, string>): void {
  stageSafetensors(path, tensors, metadata).commit();
}
