/**
 * CRC-32 (IEEE 802.3, as zip uses), incremental over chunks; every checkpoint's bytes pass through
 * here once. Node's own zlib.crc32 (Node 20.15 and later) when it exists, else slicing-by-8: table k
 * holds the CRC of a byte followed by k zero bytes, so eight input bytes cost eight lookups and one
 * step instead of eight steps.
 */
import * as zlib from "zlib";

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const TABLES = Array.from({ length: 8 }, () => new Uint32Array(256));
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLES[0][n] = c >>> 0;
}
for (let k = 1; k < 8; k++) {
  for (let n = 0; n < 256; n++) TABLES[k][n] = (TABLES[k - 1][n] >>> 8) ^ TABLES[0][TABLES[k - 1][n] & 0xff];
}
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;

/** Continue a CRC over `bytes`; start with `crc = 0`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  return native ? native(bytes, crc) : crc32Tables(bytes, crc);
}

/** The table-driven CRC (exported for the test that checks it against zlib's). */
export function crc32Tables(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  let i = 0;
  const end8 = bytes.length - (bytes.length % 8);
  for (; i < end8; i += 8) {
    const lo = (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    c =
      T7[lo & 0xff] ^
      T6[(lo >>> 8) & 0xff] ^
      T5[(lo >>> 16) & 0xff] ^
      T4[lo >>> 24] ^
      T3[bytes[i + 4]] ^
      T2[bytes[i + 5]] ^
      T1[bytes[i + 6]] ^
      T0[bytes[i + 7]];
  }
  for (; i < bytes.length; i++) c = T0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
