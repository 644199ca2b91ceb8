/**
 * NumPy `.npy` (format 1.0 to 3.0): a magic string, a Python-literal header dict
 * (`descr`, `fortran_order`, `shape`), then the C-order data. Little-endian and byte dtypes only.
 */
import { REDOWNLOAD, describe, refuse } from "./errors";
import { readWhole } from "./file-bytes";
import { atomicWrite, writeAll } from "./write-files";
import { DecodeBudget, LoadLimits, decodeBudget } from "./limits";
import { PyValue, parsePyLiteral } from "./py-literal";
import { DType, TensorRecord, allocFor, checkShape, shapeSize, DTYPE_BYTES } from "./tensor-record";

const DESCR_TO_DTYPE: Record<string, DType> = {
  "<f4": "float32",
  "<f8": "float64",
  "<f2": "float16",
  "<i8": "int64",
  "<i4": "int32",
  "<i2": "int16",
  "|i1": "int8",
  "|u1": "uint8",
  "|b1": "bool",
};
const DTYPE_TO_DESCR: Partial<Record<DType, string>> = Object.fromEntries(Object.entries(DESCR_TO_DTYPE).map(([k, v]) => [v, k]));

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** numpy itself refuses headers over 10,000 bytes unless told otherwise; one of 64 KiB is never honest */
const MAX_HEADER = 65536;
const KEYS = ["descr", "fortran_order", "shape"];

interface NpyHeader {
  dtype: DType;
  shape: number[];
  dataStart: number;
}

/** The header of `buf`, checked as numpy checks it: exactly descr, fortran_order and shape. */
function readHeader(buf: Buffer, file: string, member: string): NpyHeader {
  const at = (field: string) => `${member}${field}`;
  if (buf.length < 10 || MAGIC.some((m, i) => buf[i] !== m)) refuse(file, at("magic"), "not an .npy file (bad magic)", "save the array with numpy.save");
  const [major, minor] = [buf[6], buf[7]];
  if (major < 1 || major > 3 || minor !== 0)
    refuse(file, at("version"), `.npy format version ${major}.${minor} is not one numpy writes (1.0, 2.0, 3.0)`, REDOWNLOAD);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start) refuse(file, at("header length"), `the file ends inside the ${start}-byte preamble of format ${major}.0`, REDOWNLOAD);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  if (headerLen > MAX_HEADER)
    refuse(file, at("header length"), `a ${headerLen}-byte header (numpy writes a few hundred bytes)`, "this is not an array numpy wrote: do not use it");
  if (start + headerLen > buf.length) refuse(file, at("header"), `the ${headerLen}-byte header runs past the end of the ${buf.length}-byte file`, REDOWNLOAD);
  const text = buf.toString(major === 3 ? "utf8" : "latin1", start, start + headerLen);
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    refuse(file, at("header"), `the header is not a Python literal (${(e as Error).message})`, REDOWNLOAD);
  }
  if (!(dict instanceof Map)) refuse(file, at("header"), `the header is ${describe(dict)}, not a dict`, REDOWNLOAD);
  const keys = [...dict.keys()].map(String).sort();
  if (keys.join() !== KEYS.join())
    refuse(file, at("header"), `the header has the keys [${keys.join(", ")}], not exactly [${KEYS.join(", ")}]`, "save the array with numpy.save");
  const descr = dict.get("descr"),
    fortran = dict.get("fortran_order"),
    shape = dict.get("shape");
  if (typeof descr !== "string")
    refuse(
      file,
      at("header field descr"),
      `dtype ${describe(descr)} is not supported (structured arrays are not)`,
      `save a plain array of one of ${Object.keys(DESCR_TO_DTYPE).join(" ")}`,
    );
  const dtype = DESCR_TO_DTYPE[descr];
  if (!dtype)
    refuse(
      file,
      at("header field descr"),
      `dtype ${descr} is not supported (use one of ${Object.keys(DESCR_TO_DTYPE).join(" ")})`,
      "convert it with a.astype(...) before saving",
    );
  if (typeof fortran !== "boolean") refuse(file, at("header field fortran_order"), `fortran_order is ${describe(fortran)}, not True or False`, REDOWNLOAD);
  if (fortran) refuse(file, at("header field fortran_order"), "Fortran-order arrays are not supported", "save np.ascontiguousarray(a)");
  if (shape === null || typeof shape !== "object" || !("tuple" in shape))
    refuse(file, at("header field shape"), `the shape is ${describe(shape)}, not a tuple`, REDOWNLOAD);
  return { dtype, shape: checkShape(shape.tuple, file, at("header field shape")), dataStart: start + headerLen };
}

/**
 * One .npy held in `bytes`: its header checked, its data exactly `prod(shape) * itemsize` bytes,
 * copied into a fresh record counted against `budget`. `member` names an .npz member in errors.
 */
export function decodeNpy(bytes: Uint8Array, file: string, budget: DecodeBudget, member = ""): TensorRecord {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { dtype, shape, dataStart } = readHeader(buf, file, member ? `${member} ` : "");
  const byteLength = shapeSize(shape) * DTYPE_BYTES[dtype];
  const held = buf.length - dataStart;
  if (held !== byteLength) {
    refuse(
      file,
      `${member ? `${member} ` : ""}data`,
      `shape [${shape}] of ${dtype} needs ${byteLength} bytes, the file holds ${held} (${held < byteLength ? "truncated" : "trailing data"})`,
      REDOWNLOAD,
    );
  }
  budget.take(byteLength, member || "data");
  const data = allocFor(dtype, shapeSize(shape), file, member || "data");
  new Uint8Array(data.buffer).set(buf.subarray(dataStart, dataStart + byteLength));
  return { dtype, shape, data };
}

/** Parse npy bytes; `source` names the file in errors. Throws AdmInputError for any bad input. */
export function parseNpy(bytes: Uint8Array, source: string, limits?: LoadLimits): TensorRecord {
  return decodeNpy(bytes, source, decodeBudget(source, bytes.length, limits));
}

/** The npy header (format 1.0, padded so the data starts on a 64-byte boundary). */
export function npyHeader(t: TensorRecord, source: string): Buffer {
  const descr = DTYPE_TO_DESCR[t.dtype];
  if (!descr) refuse(source, "dtype", `dtype ${t.dtype} cannot be written to .npy`, `convert it to one of ${Object.keys(DTYPE_TO_DESCR).join(", ")}`);
  if (shapeSize(t.shape) !== t.data.length)
    refuse(source, "shape", `shape [${t.shape}] does not match ${t.data.length} values`, "give a shape whose product is the number of values");
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

/** Read an .npy file. Throws AdmInputError, naming the file, for anything it will not read. */
export function readNpy(path: string, limits?: LoadLimits): TensorRecord {
  return parseNpy(readWhole(path), path, limits);
}

/** Write one array as .npy (atomically). */
export function writeNpy(path: string, t: TensorRecord): void {
  const header = npyHeader(t, path);
  atomicWrite(path, (fd) => {
    writeAll(fd, header);
    writeAll(fd, recordBytes(t));
  });
}
