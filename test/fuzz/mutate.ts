/**
 * Seeded, format-blind mutations of a file's bytes: bit flips, truncations, hostile values written
 * over length and offset fields, inserted, deleted and duplicated runs. The format-aware mutations
 * (corpus.ts) reach the parsers behind checksums; these find what the framing checks miss.
 */
import type { Rng } from "../../lib/rng";

/** Values a lying header likes: zero, sign bits, all ones, just past a power of two, near 2^53. */
export const HOSTILE_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xfffffffb];
export const HOSTILE_NUMBERS: unknown[] = [
  -1,
  -2,
  -16,
  0,
  1,
  1.5,
  -0.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 63,
  1e308,
  NaN,
  "4",
  "",
  null,
  true,
  [],
  {},
  [0],
  [-2, -2],
  [1.5],
  [2 ** 40, 2 ** 40],
];

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** One random byte-level mutation of `bytes` (a fresh buffer; the seed is untouched). */
export function mutateBytes(rng: Rng, bytes: Buffer): Buffer {
  const n = bytes.length;
  const at = () => rng.int(Math.max(1, n));
  const b = Buffer.from(bytes);
  switch (rng.int(7)) {
    case 0: {
      // flip 1 to 8 bits
      const k = 1 + rng.int(8);
      for (let i = 0; i < k && n > 0; i++) b[at()] ^= 1 << rng.int(8);
      return b;
    }
    case 1: // truncate
      return b.subarray(0, at());
    case 2: {
      // a hostile 32-bit value over a field (any alignment, either byte order)
      if (n < 4) return b;
      const p = rng.int(n - 3);
      const v = pick(rng, HOSTILE_U32);
      if (rng.uniform() < 0.5) b.writeUInt32LE(v, p);
      else b.writeUInt32BE(v, p);
      return b;
    }
    case 3: {
      // a hostile 64-bit value over a field
      if (n < 8) return b;
      const p = rng.int(n - 7);
      b.writeBigUInt64LE(pick(rng, [0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, BigInt(n), BigInt(n) + 1n]), p);
      return b;
    }
    case 4: {
      // insert random bytes
      const p = at();
      const ins = Buffer.from(Array.from({ length: 1 + rng.int(16) }, () => rng.int(256)));
      return Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
    }
    case 5: {
      // delete a run
      const p = at();
      return Buffer.concat([b.subarray(0, p), b.subarray(Math.min(n, p + 1 + rng.int(32)))]);
    }
    default: {
      // duplicate a run in place
      const p = at();
      const run = b.subarray(p, Math.min(n, p + 1 + rng.int(64)));
      return Buffer.concat([b.subarray(0, p), run, run, b.subarray(p + run.length)]);
    }
  }
}

/** A hostile stand-in for a JSON value: a number, a string, null, a malformed list or object. */
export function hostileJson(rng: Rng): unknown {
  return pick(rng, HOSTILE_NUMBERS);
}
