import * as zlib from "zlib";
import { crc32, crc32Tables } from "../../lib/io/crc32";

describe("crc32", () => {
  test("gives the standard check value and continues across chunks", () => {
    const digits = Buffer.from("123456789");
    for (const f of [crc32, crc32Tables]) {
      expect(f(digits)).toBe(0xcbf43926);
      expect(f(digits.subarray(4), f(digits.subarray(0, 4)))).toBe(0xcbf43926);
      expect(f(Buffer.alloc(0))).toBe(0);
    }
  });

  test("the table-driven CRC equals zlib's gzip trailer on every length 0..100 (all alignments of slicing-by-8)", () => {
    const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 151 + 7) & 255));
    for (let n = 0; n <= 100; n++) {
      const gz = zlib.gzipSync(bytes.subarray(0, n));
      expect(crc32Tables(bytes.subarray(0, n))).toBe(gz.readUInt32LE(gz.length - 8));
    }
  });
});
