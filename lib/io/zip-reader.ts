/**
 * Zip reader located through the central directory (zip64 included, so files over 4 GB work), reading
 * entries with positioned fs reads: a STORED entry can be read in pieces straight into typed arrays.
 * Only what torch.save and numpy.savez produce is needed: STORED and DEFLATED entries, no encryption.
 *
 * Nothing the archive says is believed unchecked: every count, size and offset must lie inside the
 * file and inside its own record, members may not overlap or share a name or climb out of the
 * archive ("../"), a DEFLATED member is inflated with its declared size as a hard cap (and must
 * reach it exactly), and every member's CRC-32 is verified before its bytes are used.
 */
import { closeSync } from "fs";
import { constants as bufferConstants } from "buffer";
import { inflateRawSync } from "zlib";
import { crc32 } from "./crc32";
import { REDOWNLOAD, isCount, refuse } from "./errors";
import { openRead, readAt, readExact } from "./file-bytes";
import { DecodeBudget } from "./limits";

export interface ZipEntry {
  name: string;
  /** 0 = STORED, 8 = DEFLATED */
  method: number;
  compressedSize: number;
  size: number;
  /** CRC-32 of the uncompressed bytes, as the central directory records it */
  crc32: number;
  localHeaderOffset: number;
  /** byte position of the entry's data (after its local header) */
  dataOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const NOT_ZIP = `torch.save files since PyTorch 1.6 and numpy .npz files are zips; older "legacy" .pt files are not supported`;

/** Why a member name is refused, or undefined when it is a plain relative path. */
function badName(name: string): string | undefined {
  if (name.length === 0) return "an empty name";
  if (/[\0\\]/.test(name)) return "a NUL or backslash in its name";
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return "an absolute path";
  if (name.split("/").includes("..")) return "a '..' path segment";
  return undefined;
}

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  /** the archive's size in bytes */
  readonly size: number;
  private readonly fd: number;
  private readonly verified = new Set<ZipEntry>();

  /** Open `path` and read (and check) its central directory. Call close() when done. */
  constructor(readonly path: string) {
    const { fd, size } = openRead(path);
    this.fd = fd;
    this.size = size;
    try {
      this.readCentralDirectory();
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  private fail(at: string, problem: string, fix = REDOWNLOAD): never {
    refuse(this.path, at, problem, fix);
  }

  /** A u64 field that must be a byte count or offset no larger than the file. */
  private u64(b: Buffer, at: number, what: string): number {
    const v = b.readBigUInt64LE(at);
    if (v > BigInt(this.size)) this.fail(what, `${what} is ${v}, past the end of the ${this.size}-byte file`);
    return Number(v);
  }

  private readCentralDirectory(): void {
    const size = this.size;
    if (size < 22) this.fail("end of file", `not a zip file (${size} bytes, shorter than an end-of-central-directory record)`, NOT_ZIP);
    const tailLen = Math.min(size, 22 + 65535 + 20);
    const tailStart = size - tailLen;
    const tail = readAt(this.fd, this.path, tailStart, tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG && i + 22 + tail.readUInt16LE(i + 20) <= tailLen) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) this.fail("end of file", "not a zip file (no end-of-central-directory record)", NOT_ZIP);
    const eocdPos = tailStart + eocd;
    if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0)
      this.fail(`byte ${eocdPos}`, "a multi-disk (split) zip", "join the parts into one archive");
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    let cdLimit = eocdPos;
    if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIG) {
      const z64Pos = this.u64(tail, eocd - 20 + 8, "zip64 end record offset");
      if (z64Pos + 56 > eocdPos - 20) this.fail(`byte ${eocdPos - 20}`, `the zip64 end record at ${z64Pos} overlaps the records after it`);
      const z64 = readAt(this.fd, this.path, z64Pos, 56);
      if (z64.readUInt32LE(0) !== ZIP64_EOCD_SIG) this.fail(`byte ${z64Pos}`, "corrupt zip64 end-of-central-directory record");
      count = this.u64(z64, 32, "zip64 entry count");
      cdSize = this.u64(z64, 40, "zip64 central directory size");
      cdOffset = this.u64(z64, 48, "zip64 central directory offset");
      cdLimit = z64Pos;
    }
    if (cdOffset + cdSize > cdLimit)
      this.fail(`byte ${eocdPos}`, `the central directory (${cdSize} bytes at ${cdOffset}) runs past its end record at ${cdLimit}`);
    if (count * 46 > cdSize) this.fail(`byte ${eocdPos}`, `${count} entries cannot fit in a ${cdSize}-byte central directory`);
    const cd = readAt(this.fd, this.path, cdOffset, cdSize);
    let p = 0;
    for (let i = 0; i < count; i++) p = this.readEntry(cd, p, i, cdOffset);
    if (p !== cdSize) this.fail(`byte ${cdOffset + p}`, `the end record lists ${count} entries but the central directory holds ${cdSize - p} more bytes`);
    this.checkLayout(cdOffset);
  }

  /** Parse central-directory entry `i` at `p`; returns where the next one starts. */
  private readEntry(cd: Buffer, p: number, i: number, cdOffset: number): number {
    const at = `central directory entry ${i} (byte ${cdOffset + p})`;
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) this.fail(at, "corrupt zip central directory");
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) this.fail(at, "the entry's name, extra field and comment run past the central directory");
    const name = cd.toString("utf8", p + 46, p + 46 + nameLen);
    const where = `member ${JSON.stringify(name)}`;
    const why = badName(name);
    if (why) this.fail(where, `the archive has a member with ${why}`, "this is not an archive numpy or PyTorch writes: do not use it");
    if (this.entries.has(name))
      this.fail(where, "the archive holds two members of this name (readers would disagree on which one counts)", "do not use this file");
    if (flags & 0x41) this.fail(where, "the member is encrypted", "save it without encryption");
    if (method !== 0 && method !== 8)
      this.fail(
        where,
        `compression method ${method}; only STORED (0) and DEFLATED (8) are supported`,
        "save with numpy.savez / savez_compressed or torch.save",
      );
    // zip64 extra field: only the values saturated at 0xFFFFFFFF are present, in this order
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const len = cd.readUInt16LE(e + 2);
      const fieldEnd = e + 4 + len;
      if (fieldEnd > extraEnd) this.fail(where, "an extra field runs past the entry");
      if (id === 0x0001) {
        let q = e + 4;
        const next = (what: string) => {
          if (q + 8 > fieldEnd) this.fail(where, `the zip64 extra field lacks the ${what}`);
          const v = this.u64(cd, q, `zip64 ${what}`);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next("size");
        if (compressedSize === 0xffffffff) compressedSize = next("compressed size");
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next("local header offset");
      }
      e = fieldEnd;
    }
    if (method === 0 && size !== compressedSize) this.fail(where, `a STORED member with size ${size} but ${compressedSize} stored bytes`);
    if (localHeaderOffset + 30 > cdOffset) this.fail(where, `its local header offset ${localHeaderOffset} is not before the central directory at ${cdOffset}`);
    const local = readAt(this.fd, this.path, localHeaderOffset, 30 + nameLen);
    if (local.readUInt32LE(0) !== LOCAL_SIG) this.fail(where, `no local header at byte ${localHeaderOffset}`);
    if (local.readUInt16LE(26) !== nameLen || local.toString("utf8", 30) !== name)
      this.fail(where, "the local header names a different member than the central directory");
    const dataOffset = localHeaderOffset + 30 + nameLen + local.readUInt16LE(28);
    if (dataOffset + compressedSize > cdOffset)
      this.fail(where, `its ${compressedSize} bytes at ${dataOffset} run past the start of the central directory at ${cdOffset}`);
    this.entries.set(name, { name, method, compressedSize, size, crc32: crc, localHeaderOffset, dataOffset });
    return end;
  }

  /** Members may not overlap: overlapping members are how a small zip claims terabytes. */
  private checkLayout(cdOffset: number): void {
    const sorted = [...this.entries.values()].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    for (let i = 0; i < sorted.length; i++) {
      const next = i + 1 < sorted.length ? sorted[i + 1].localHeaderOffset : cdOffset;
      const a = sorted[i];
      if (a.dataOffset + a.compressedSize > next) {
        this.fail(
          `member ${JSON.stringify(a.name)}`,
          `its data (bytes ${a.dataOffset} to ${a.dataOffset + a.compressedSize}) overlaps the next member at ${next}`,
          "this is not an archive numpy or PyTorch writes: do not use it",
        );
      }
    }
  }

  /** The first entry whose name ends with `suffix` (torch.save prefixes entries with a folder). */
  findSuffix(suffix: string): ZipEntry | undefined {
    for (const e of this.entries.values()) if (e.name === suffix || e.name.endsWith(`/${suffix}`)) return e;
    return undefined;
  }

  private checkCrc(entry: ZipEntry, crc: number): void {
    if (crc !== entry.crc32) {
      this.fail(
        `member ${JSON.stringify(entry.name)}`,
        `CRC-32 mismatch (the bytes give ${crc.toString(16).padStart(8, "0")}, the archive recorded ${entry.crc32.toString(16).padStart(8, "0")})`,
      );
    }
    this.verified.add(entry);
  }

  /** Check a STORED entry's CRC-32 by streaming it through a small buffer. */
  private verifyStored(entry: ZipEntry): void {
    const chunk = Buffer.alloc(Math.min(entry.size, 4 << 20));
    let crc = 0;
    for (let done = 0; done < entry.size; done += chunk.length) {
      const piece = chunk.subarray(0, Math.min(chunk.length, entry.size - done));
      readExact(this.fd, this.path, piece, entry.dataOffset + done);
      crc = crc32(piece, crc);
    }
    this.checkCrc(entry, crc);
  }

  /** Read `into.length` bytes of a STORED entry starting `offset` bytes into its data (CRC checked first). */
  readStored(entry: ZipEntry, offset: number, into: Uint8Array): void {
    const where = `member ${JSON.stringify(entry.name)}`;
    if (entry.method !== 0) this.fail(where, `the member is compressed (method ${entry.method}) where a STORED one is expected`);
    if (!isCount(offset) || offset + into.length > entry.size)
      this.fail(where, `the member has ${entry.size} bytes; ${into.length} at ${offset} were asked for`);
    const whole = offset === 0 && into.length === entry.size;
    if (!this.verified.has(entry) && !whole) this.verifyStored(entry);
    readExact(this.fd, this.path, into, entry.dataOffset + offset);
    if (!this.verified.has(entry)) this.checkCrc(entry, crc32(into));
  }

  /** The whole entry, inflated if DEFLATED (never past its declared size, which must fit `budget`). */
  read(entry: ZipEntry, budget: DecodeBudget): Buffer {
    const where = `member ${JSON.stringify(entry.name)}`;
    if (entry.size > bufferConstants.MAX_LENGTH)
      this.fail(where, `the member declares ${entry.size} bytes, more than one buffer holds`, "split the arrays into several files");
    let data: Buffer;
    if (entry.method === 0) {
      data = readAt(this.fd, this.path, entry.dataOffset, entry.size);
    } else {
      budget.check(entry.size, where);
      const compressed = readAt(this.fd, this.path, entry.dataOffset, entry.compressedSize);
      try {
        data = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.size) });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
          this.fail(where, `the member inflates past the ${entry.size} bytes the archive declares (a zip bomb, or a corrupt archive)`, "do not use this file");
        this.fail(where, `corrupt deflate stream (${(e as Error).message})`);
      }
      if (data.length !== entry.size) this.fail(where, `the member inflates to ${data.length} bytes, the archive declares ${entry.size}`);
    }
    this.checkCrc(entry, crc32(data));
    return data;
  }

  close(): void {
    closeSync(this.fd);
  }
}
