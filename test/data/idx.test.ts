import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { gzipSync } from "zlib";
import { parseIdx, readIdx } from "../../lib/data/idx";
import { AdmInputError } from "../../lib/io/errors";
import { gzipAround, zeroBombStream } from "../helpers/format-bytes";
import { peakGrowthMiB, thrown } from "../helpers/memory";

function idx(dims: number[], body: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(body)]);
}

describe("IDX reader", () => {
  it("reads dims and bytes, plain and gzipped", () => {
    const raw = idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    for (const bytes of [raw, gzipSync(raw)]) {
      const a = parseIdx(bytes, "x");
      expect(a.dims).toEqual([2, 2, 3]);
      expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    }
  });

  it("names the file on bad magic, wrong type, truncation and trailing data", () => {
    expect(() => parseIdx(Buffer.from([1, 2, 3, 4]), "bad.idx")).toThrow(/bad\.idx: not an IDX file/);
    const wrongType = idx([1], [0]);
    wrongType[2] = 0x0d;
    expect(() => parseIdx(wrongType, "f.idx")).toThrow(/f\.idx: IDX data type 0xd is not supported/);
    expect(() => parseIdx(idx([2, 2], [1, 2, 3]), "short.idx")).toThrow(/short\.idx: .*4 bytes but the file holds 3 \(truncated\)/);
    expect(() => parseIdx(idx([1], [1, 2]), "long.idx")).toThrow(/trailing data/);
    const gz = gzipSync(idx([4], [1, 2, 3, 4]));
    expect(() => parseIdx(gz.subarray(0, gz.length - 6), "cut.gz")).toThrow(/cut\.gz: gzip data is corrupt or truncated/);
  });

  it("says which file cannot be read", () => {
    const dir = mkdtempSync(join(tmpdir(), "idx-"));
    expect(() => readIdx(join(dir, "missing.gz"))).toThrow(/missing\.gz: cannot read IDX file \(ENOENT\)/);
    writeFileSync(join(dir, "ok"), idx([1], [7]));
    expect(Array.from(readIdx(join(dir, "ok")).data)).toEqual([7]);
  });

  it("issue 16: a 2 MB gzip IDX that would inflate to 2 GiB stops at the load's cap", () => {
    const bomb = gzipAround(zeroBombStream(2048));
    expect(bomb.length).toBeLessThan(2.2e6);
    let e: Error | undefined;
    // the default cap for a 2 MB file is 64 MiB + 100 x 2 MB, about 270 MiB: never 2 GiB
    expect(peakGrowthMiB(() => (e = thrown(() => parseIdx(bomb, "bomb.gz"))))).toBeLessThan(700);
    expect(e).toBeInstanceOf(AdmInputError);
    expect(e!.message).toMatch(/bomb\.gz: decoding it needs more than the 2\d\d\.\d MiB this load may use \(at gzip stream\); .*raise maxExpansion/);
    // a tighter cap per call stops it sooner
    expect(peakGrowthMiB(() => thrown(() => parseIdx(bomb, "bomb.gz", { maxBytes: 8 << 20 })))).toBeLessThan(64);
    expect(thrown(() => parseIdx(bomb, "bomb.gz", { maxBytes: 8 << 20 })).message).toMatch(/more than the 8\.00 MiB this load may use/);
  });

  it("dims whose product passes 2^53 or overflows 32 bits are compared, not trusted", () => {
    expect(() => parseIdx(idx([0xffffffff, 0xffffffff, 0xffffffff], [1]), "big.idx")).toThrow(
      /big\.idx: IDX header says dims \[4294967295, 4294967295, 4294967295\] = .* bytes but the file holds 1 \(truncated\)/,
    );
    expect(() => parseIdx(Buffer.from([0, 0, 8, 200]), "nd.idx")).toThrow(/nd\.idx: IDX header is truncated \(200 dims need 804 bytes/);
    expect(() => parseIdx(Buffer.from([0, 0, 8, 0]), "zero.idx")).toThrow(/zero\.idx: IDX header gives 0 dimensions/);
  });
});
