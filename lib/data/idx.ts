/**
 * Reader for IDX files (the MNIST / Fashion-MNIST format), gzipped or not.
 * Layout: 2 zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then each
 * dimension as a big-endian uint32, then the data.
 *
 * A gzip stream is inflated with the load's budget as a hard cap (see lib/io/limits.ts), so a
 * small file that would inflate to gigabytes is refused before it does; the dims must account for
 * every data byte exactly.
 */
import { constants as bufferConstants } from "buffer";
import { gunzipSync } from "zlib";
import { REDOWNLOAD, refuse } from "../io/errors";
import { readWhole } from "../io/file-bytes";
import { LoadLimits, decodeBudget } from "../io/limits";

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const FIX_DATA = "the file is not Fashion-MNIST/MNIST data or is damaged: run 'npm run fetch-data' or download it again";

/** Parse IDX bytes; `name` (a file path) is used in error messages. Throws AdmInputError for bad input. */
export function parseIdx(bytes: Uint8Array, name: string, limits?: LoadLimits): IdxArray {
  let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    const budget = decodeBudget(name, bytes.length, limits);
    try {
      buf = gunzipSync(buf, { maxOutputLength: Math.min(budget.limit, bufferConstants.MAX_LENGTH) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") budget.overflow("gzip stream");
      refuse(name, "gzip stream", `gzip data is corrupt or truncated (${(e as Error).message})`, "download the file again");
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    refuse(name, "magic number", "not an IDX file (bad magic number; expected 00 00 08 0N)", FIX_DATA);
  }
  if (buf[2] !== 0x08) {
    refuse(name, "data type byte", `IDX data type 0x${buf[2].toString(16)} is not supported (only unsigned bytes, 0x08)`, FIX_DATA);
  }
  const nd = buf[3];
  if (nd < 1) refuse(name, "dims", "IDX header gives 0 dimensions", FIX_DATA);
  if (buf.length < 4 + 4 * nd) refuse(name, "dims", `IDX header is truncated (${nd} dims need ${4 + 4 * nd} bytes, the data holds ${buf.length})`, REDOWNLOAD);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const off = 4 + 4 * nd;
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = buf.length - off;
  if (actual !== expected) {
    refuse(
      name,
      `dims [${dims.join(", ")}]`,
      `IDX header says dims [${dims.join(", ")}] = ${expected} bytes but the file holds ${actual} (${actual < expected ? "truncated" : "trailing data"})`,
      REDOWNLOAD,
    );
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + off, actual) };
}

/** Read an IDX file (`.gz` or plain). Throws AdmInputError, naming the file, for anything it will not read. */
export function readIdx(path: string, limits?: LoadLimits): IdxArray {
  return parseIdx(readWhole(path, "IDX file"), path, limits);
}
