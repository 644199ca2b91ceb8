/**
 * Zip reader located through the central directory (zip64 included, so files over 4 GB work), reading
 * entries with positioned fs reads: a STORED entry can be read in pieces straight into typed arrays.
 * Only what torch.save and numpy.savez produce is needed: STORED and DEFLATED entries, no encryption.
 */
import { closeSync, fstatSync, openSync } from "fs";
import { inflateRawSync } from "zlib";
import { readAt, readExact, type OpenFile } from "./file-bytes";

export interface ZipEntry {
  name: string;
  /** 0 = STORED, 8 = DEFLATED */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`zip offset ${v} is too large`);
  return Number(v);
}

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  private readonly file: OpenFile;

  /** Open `path` and read its central directory. Call close() when done. */
  constructor(readonly path: string) {
    this.file = { fd: openSync(path, "r"), path };
    try {
      this.readCentralDirectory();
    } catch (e) {
      closeSync(this.file.fd);
      throw e;
    }
  }

  private readCentralDirectory(): void {
    const fileSize = fstatSync(this.file.fd).size;
    const tailLen = Math.min(fileSize, 22 + 65535 + 20);
    const tail = readAt(this.file, { position: fileSize - tailLen, length: tailLen });
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) { eocd = i; break; }
    }
    if (eocd < 0) throw new Error(`${this.path}: not a zip file (no end-of-central-directory record); torch.save files since PyTorch 1.6 are zips, older "legacy" .pt files are not supported`);
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIG) {
      const z64 = readAt(this.file, { position: u64(tail, eocd - 20 + 8), length: 56 });
      if (z64.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new Error(`${this.path}: corrupt zip64 end-of-central-directory record`);
      count = u64(z64, 32);
      cdSize = u64(z64, 40);
      cdOffset = u64(z64, 48);
    }
    const cd = readAt(this.file, { position: cdOffset, length: cdSize });
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (cd.readUInt32LE(p) !== CENTRAL_SIG) throw new Error(`${this.path}: corrupt zip central directory at entry ${i}`);
      const method = cd.readUInt16LE(p + 10);
      let compressedSize = cd.readUInt32LE(p + 20);
      let size = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString("utf8", p + 46, p + 46 + nameLen);
      // zip64 extra field: only the values saturated at 0xFFFFFFFF are present, in this order
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) { size = u64(cd, q); q += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = u64(cd, q); q += 8; }
          if (localHeaderOffset === 0xffffffff) { localHeaderOffset = u64(cd, q); }
        }
        e += 4 + len;
      }
      this.entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
      p = extraEnd + commentLen;
    }
  }

  /** The first entry whose name ends with `suffix` (torch.save prefixes entries with a folder). */
  findSuffix(suffix: string): ZipEntry | undefined {
    for (const e of this.entries.values()) if (e.name === suffix || e.name.endsWith(`/${suffix}`)) return e;
    return undefined;
  }

  /** Byte position of an entry's data (after its local header). */
  dataOffset(entry: ZipEntry): number {
    const h = readAt(this.file, { position: entry.localHeaderOffset, length: 30 });
    if (h.readUInt32LE(0) !== LOCAL_SIG) throw new Error(`${this.path}: corrupt local header of ${entry.name}`);
    return entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  }

  /** Read `into.length` bytes of a STORED entry starting `offset` bytes into its data. */
  readStored(entry: ZipEntry, offset: number, into: Uint8Array): void {
    if (entry.method !== 0) throw new Error(`${this.path}: entry ${entry.name} is compressed (method ${entry.method}); expected STORED`);
    if (offset + into.length > entry.size) {
      throw new Error(`${this.path}: entry ${entry.name} has ${entry.size} bytes, asked for ${into.length} at ${offset}`);
    }
    readExact(this.file, into, this.dataOffset(entry) + offset);
  }

  /** The whole entry, inflated if DEFLATED. */
  read(entry: ZipEntry): Buffer {
    const start = this.dataOffset(entry);
    if (entry.method === 0) return readAt(this.file, { position: start, length: entry.size });
    if (entry.method === 8) return inflateRawSync(readAt(this.file, { position: start, length: entry.compressedSize }));
    throw new Error(`${this.path}: entry ${entry.name} uses compression method ${entry.method}; only STORED (0) and DEFLATED (8) are supported`);
  }

  close(): void {
    closeSync(this.file.fd);
  }
}
