/**
 * Reader for IDX files (the MNIST / Fashion-MNIST format), gzipped or not.
 * Layout: 2 zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then each
 * dimension as a big-endian uint32, then the data.
 */
import { readFileSync } from "fs";
import { gunzipSync } from "zlib";

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parse IDX bytes; `name` (a file path) is used in error messages. */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new Error(`${name}: gzip data is corrupt or truncated (${(e as Error).message}); download the file again`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new Error(`${name}: not an IDX file (bad magic number; expected 00 00 08 0N)`);
  }
  if (buf[2] !== 0x08) {
    throw new Error(`${name}: IDX data type 0x${buf[2].toString(16)} is not supported (only unsigned bytes, 0x08)`);
  }
  const nd = buf[3];
  if (nd < 1 || buf.length < 4 + 4 * nd) throw new Error(`${name}: IDX header is truncated`);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const off = 4 + 4 * nd;
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = buf.length - off;
  if (actual !== expected) {
    throw new Error(`${name}: IDX header says dims [${dims.join(", ")}] = ${expected} bytes but the file holds ${actual} (${actual < expected ? "truncated" : "trailing data"})`);
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + off, actual) };
}

/** Read an IDX file (`.gz` or plain). Errors name the file. */
export function readIdx(path: string): IdxArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read IDX file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseIdx(bytes, path);
}
