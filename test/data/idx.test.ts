import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { gzipSync } from "zlib";
import { parseIdx, readIdx } from "../../lib/data/idx";

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
});
