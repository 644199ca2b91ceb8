import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { deflateRawSync } from "zlib";
import { AdmInputError, readNpz, writeNpz } from "../../lib/io";
import { crc32 } from "../../lib/io/crc32";
import { peakGrowthMiB, thrown } from "../helpers/memory";
import { endRecordAt, Member, npyBytes, zeroBombStream, zipBytes } from "../helpers/format-bytes";

const dir = mkdtempSync(path.join(tmpdir(), "adm-zip-"));
const MIB = 1 << 20;

function write(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** The AdmInputError reading `file` as .npz throws. */
function refusal(file: string, limits?: Parameters<typeof readNpz>[1]): AdmInputError {
  const e = thrown(() => readNpz(file, limits));
  if (!(e instanceof AdmInputError)) throw e;
  return e;
}

/** The header of an .npy of `n` float32 values. */
const f4Header = (n: number) => npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (${n},), }`, Buffer.alloc(0));

/** An .npy member of `n` float32 zeros. */
const zerosNpy = (n: number) => Buffer.concat([f4Header(n), Buffer.alloc(4 * n)]);

const small: Member = {
  name: "a.npy",
  data: npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", Buffer.from(new Float32Array([1.5, -2]).buffer)),
};

describe("zip reader: bombs, lying directories, damage", () => {
  test("an honest stored and deflated archive loads", () => {
    const z = readNpz(write("ok.npz", zipBytes([small, { ...small, name: "b.npy", deflate: true }])));
    expect(Array.from(z.get("a")!.data as Float32Array)).toEqual([1.5, -2]);
    expect(Array.from(z.get("b")!.data as Float32Array)).toEqual([1.5, -2]);
  });

  test("issue 16: a 1 MB .npz whose member inflates to 1 GiB is refused before inflating", () => {
    const header = f4Header(MIB * 256);
    // the member's honest size: the header plus 1 GiB of zeros; its CRC is never reached
    const raw = Buffer.concat([deflateRawSync(header, { finishFlush: 2 }), zeroBombStream(1024)]);
    const file = write("bomb.npz", zipBytes([{ name: "big.npy", data: header, raw, size: header.length + 1024 * MIB }]));
    expect(readFileSync(file).length).toBeLessThan(1.2e6);
    let e: Error | undefined;
    expect(peakGrowthMiB(() => (e = thrown(() => readNpz(file))))).toBeLessThan(64);
    expect(e).toBeInstanceOf(AdmInputError);
    expect(e!.message).toMatch(
      /bomb\.npz: decoding it needs 1\.00 GiB .* more than the 1\d\d\.\d MiB this load may use \(at member "big\.npy"\); .*raise maxExpansion .*ADM_MAX_LOAD_EXPANSION/,
    );
  });

  test("issue 16: a member that inflates past the size its directory declares is refused at that size", () => {
    const data = zerosNpy(4 * MIB); // 16 MiB of npy
    const file = write("liar.npz", zipBytes([{ name: "a.npy", data, deflate: true, size: 1000 }]));
    let e: Error | undefined;
    expect(peakGrowthMiB(() => (e = thrown(() => readNpz(file))))).toBeLessThan(64);
    expect(e!.message).toMatch(
      /liar\.npz: the member inflates past the 1000 bytes the archive declares \(a zip bomb, or a corrupt archive\) \(at member "a\.npy"\)/,
    );
    // and one that inflates to less than it declares
    expect(refusal(write("short.npz", zipBytes([{ ...small, deflate: true, size: small.data.length + 8 }]))).message).toMatch(
      /inflates to \d+ bytes, the archive declares \d+/,
    );
  });

  test("issue 16: a tiny .npz (the issue's had 272 bytes) declaring 4 GB is refused without asking for 4 GB", () => {
    const deflated = write("declares.npz", zipBytes([{ ...small, deflate: true, size: 0xfffffff0 }]));
    expect(readFileSync(deflated).length).toBeLessThan(300);
    let e: Error | undefined;
    expect(peakGrowthMiB(() => (e = thrown(() => readNpz(deflated))))).toBeLessThan(64);
    expect(e!.message).toMatch(/decoding it needs 4\.00 GiB/);
    // a STORED member cannot declare more than it stores
    expect(refusal(write("stored.npz", zipBytes([{ ...small, size: 0xfffffff0 }]))).message).toMatch(
      /a STORED member with size 4294967280 but 76 stored bytes/,
    );
  });

  test("raising the limits per call lets a trusted, highly compressible file load", () => {
    // 72 MiB of zeros in a 72 KB file, with its honest size and CRC-32
    const header = f4Header(18 * MIB);
    let crc = crc32(header);
    const zeros = Buffer.alloc(MIB);
    for (let i = 0; i < 72; i++) crc = crc32(zeros, crc);
    const raw = Buffer.concat([deflateRawSync(header, { finishFlush: 2 }), zeroBombStream(72)]);
    const file = write("zeros.npz", zipBytes([{ name: "z.npy", data: header, raw, size: header.length + 72 * MIB, crc }]));
    expect(refusal(file).message).toMatch(/raise maxExpansion/);
    expect(refusal(file, { maxBytes: 10 * MIB }).message).toMatch(/raise maxBytes \(10\.0 MiB\): pass \{ maxBytes \} or set ADM_MAX_LOAD_BYTES/);
    expect(readNpz(file, { maxExpansion: 10000 }).get("z")!.shape).toEqual([18 * MIB]);
  });

  test("issue 16: entry counts that disagree with the central directory are refused", () => {
    const bytes = zipBytes([small, { ...small, name: "b.npy" }]);
    const more = Buffer.from(bytes);
    more.writeUInt16LE(3, endRecordAt(more) + 10);
    expect(refusal(write("more.npz", more)).message).toMatch(/3 entries cannot fit in a \d+-byte central directory/);
    const fewer = Buffer.from(bytes);
    fewer.writeUInt16LE(1, endRecordAt(fewer) + 10);
    expect(refusal(write("fewer.npz", fewer)).message).toMatch(/lists 1 entries but the central directory holds \d+ more bytes/);
    const huge = Buffer.from(bytes);
    huge.writeUInt16LE(0xffff, endRecordAt(huge) + 10);
    expect(refusal(write("huge-count.npz", huge)).message).toMatch(/65535 entries cannot fit/);
  });

  test("issue 16: central-directory sizes and offsets outside the file are refused", () => {
    const bytes = zipBytes([small]);
    const big = Buffer.from(bytes);
    big.writeUInt32LE(0x7fffffff, endRecordAt(big) + 12);
    expect(refusal(write("cd-size.npz", big)).message).toMatch(/the central directory \(2147483647 bytes at \d+\) runs past its end record/);
    const small2 = Buffer.from(bytes);
    small2.writeUInt32LE(10, endRecordAt(small2) + 12);
    expect(refusal(write("cd-small.npz", small2)).message).toMatch(/1 entries cannot fit in a 10-byte central directory/);
    const off = Buffer.from(bytes);
    off.writeUInt32LE(0xfffffff0, endRecordAt(off) + 16);
    expect(refusal(write("cd-offset.npz", off)).message).toMatch(/runs past its end record/);
  });

  test("issue 16: a corrupt deflate stream is refused with the member's name", () => {
    const raw = deflateRawSync(small.data);
    raw[0] ^= 0x06; // an invalid block type
    expect(refusal(write("corrupt.npz", zipBytes([{ ...small, raw }]))).message).toMatch(/corrupt\.npz: corrupt deflate stream \(.+\) \(at member "a\.npy"\)/);
    const cut = deflateRawSync(small.data).subarray(0, 20);
    expect(refusal(write("cut.npz", zipBytes([{ ...small, raw: cut }]))).message).toMatch(/corrupt deflate stream \(unexpected end of file\)/);
  });

  test("issue 16: 32 of 32 single-bit flips in a stored .npz are refused by CRC-32 (numpy: Bad CRC-32)", () => {
    const file = path.join(dir, "stored.npz");
    writeNpz(file, { a: { dtype: "float32", shape: [8], data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) } });
    const bytes = readFileSync(file);
    const dataStart = 30 + "a.npy".length + 128; // local header, name, 128-byte npy header
    let refused = 0;
    for (let bit = 0; bit < 32; bit++) {
      const flipped = Buffer.from(bytes);
      flipped[dataStart + bit] ^= 1 << (bit % 8);
      const e = refusal(write(`flip${bit}.npz`, flipped));
      if (/CRC-32 mismatch \(the bytes give [0-9a-f]{8}, the archive recorded [0-9a-f]{8}\) \(at member "a\.npy"\)/.test(e.message)) refused++;
    }
    expect(refused).toBe(32);
  });

  test("traversal, absolute, duplicate and overlapping member names are refused", () => {
    for (const name of ["../evil.npy", "/etc/evil.npy", "a/../../evil.npy", "C:/evil.npy", "a\\evil.npy"]) {
      expect(refusal(write("traversal.npz", zipBytes([{ ...small, name }]))).message).toMatch(
        /the archive has a member with (a '\.\.' path segment|an absolute path|a NUL or backslash)/,
      );
    }
    expect(refusal(write("dup.npz", zipBytes([small, small]))).message).toMatch(/two members of this name/);
    // the first member's directory entry claims 10 more bytes, which are the second member's header
    const two = zipBytes([small, { ...small, name: "b.npy" }]);
    const cdStart = two.readUInt32LE(endRecordAt(two) + 16);
    two.writeUInt32LE(small.data.length + 10, cdStart + 20);
    two.writeUInt32LE(small.data.length + 10, cdStart + 24);
    expect(refusal(write("overlap.npz", two)).message).toMatch(/its data \(bytes 35 to 121\) overlaps the next member at 111/);
    // the second directory entry points at the first member's local header: two names, one body
    const alias = zipBytes([small, { ...small, name: "b.npy" }]);
    alias.writeUInt32LE(0, cdStart + 46 + "a.npy".length + 42);
    expect(refusal(write("alias.npz", alias)).message).toMatch(/the local header names a different member than the central directory/);
  });

  test("a file that is not a zip, or is empty, says so", () => {
    expect(refusal(write("empty.npz", Buffer.alloc(0))).message).toMatch(/empty\.npz: not a zip file \(0 bytes/);
    expect(refusal(write("text.npz", Buffer.from("hello world, this is not an archive at all"))).message).toMatch(
      /not a zip file \(no end-of-central-directory record\)/,
    );
    expect(refusal(dir).message).toMatch(/cannot read the file \((EISDIR|it is not a regular file)\)/);
  });
});
