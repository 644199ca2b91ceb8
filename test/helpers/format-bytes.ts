/**
 * Build zip archives byte by byte for loader tests: honest ones (what numpy.savez and torch.save
 * write) and lying ones (a declared size, CRC or name chosen by the test), plus deflate streams
 * that inflate to gigabytes from a few kilobytes without the test ever holding the gigabytes.
 */
import { deflateRawSync, constants } from "zlib";
import { crc32 } from "../../lib/io/crc32";

export interface Member {
  name: string;
  data: Buffer;
  /** write it DEFLATED (default STORED) */
  deflate?: boolean;
  /** bytes to store instead of `data` compressed (e.g. a bomb stream); `data` still gives the CRC unless `crc` is set */
  raw?: Buffer;
  /** lie about the uncompressed size (default: data.length) */
  size?: number;
  /** lie about the CRC-32 (default: the CRC of data) */
  crc?: number;
}

/** A zip of `members` in order, with a central directory and an end record. */
export function zipBytes(members: Member[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, "utf8");
    const body = m.raw ?? (m.deflate ? deflateRawSync(m.data) : m.data);
    const method = m.deflate || m.raw ? 8 : 0;
    const crc = m.crc ?? crc32(m.data);
    const size = m.size ?? m.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size >>> 0, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(size >>> 0, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, end]);
}

/** Where the end record sits in a zip built by zipBytes (it has no comment). */
export function endRecordAt(zip: Buffer): number {
  return zip.length - 22;
}

const MIB = 1 << 20;
let zeroBlock: Buffer | undefined;

/**
 * A raw deflate stream that inflates to `mib` MiB of zeros: one non-final block that deflates 1 MiB
 * of zeros (about 1 KB, back-references only into zeros) repeated, then an empty final block.
 */
export function zeroBombStream(mib: number): Buffer {
  zeroBlock ??= deflateRawSync(Buffer.alloc(MIB), { finishFlush: constants.Z_SYNC_FLUSH });
  const final = Buffer.from([0x03, 0x00]); // a final fixed-Huffman block holding only end-of-block
  return Buffer.concat([...Array<Buffer>(mib).fill(zeroBlock), final]);
}

/** A gzip file around a raw deflate stream (its trailer CRC and size are not checked before the cap). */
export function gzipAround(raw: Buffer, crc = 0, size = 0): Buffer {
  const head = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(size >>> 0, 4);
  return Buffer.concat([head, raw, trailer]);
}

/** An .npy file's bytes with a header dict given as text (format 1.0). */
export function npyBytes(dict: string, data: Buffer, major = 1): Buffer {
  const text = Buffer.from(dict + "\n", major === 3 ? "utf8" : "latin1");
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const len = Buffer.alloc(major === 1 ? 2 : 4);
  if (major === 1) len.writeUInt16LE(text.length);
  else len.writeUInt32LE(text.length);
  return Buffer.concat([pre, len, text, data]);
}

/** A safetensors file's bytes with a header given as a JS value (serialised as JSON) and raw data. */
export function safetensorsBytes(header: unknown, data: Buffer): Buffer {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

/** An IDX file's bytes (unsigned bytes, big-endian dims). */
export function idxBytes(dims: number[], body: Buffer): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d >>> 0, 4 + 4 * i));
  return Buffer.concat([head, body]);
}
