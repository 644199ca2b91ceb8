/**
 * Deterministic randomness for training. Every random choice of step `s` is drawn from a stream
 * seeded by (seed, purpose, s), so a resumed run needs only the step number to continue exactly
 * where it stopped: no generator state has to be saved.
 */
import type { DropoutMasks } from "../nn/index";
import { makeRng, type Rng } from "../rng";

/** Mix integers into one 32-bit seed (a murmur3-style finaliser over each word). */
export function subSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    let k = Math.imul((w | 0) ^ (Math.floor(w / 2 ** 32) | 0), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Purposes of random streams, so data order, the batch's draws (timesteps, noise, labels), initial weights and dropout never share draws. */
export const STREAM = { order: 1, step: 2, init: 3, dropout: 4 } as const;

/** Where one random stream is: the run's seed, what the stream is for, and the step (or epoch) it serves. */
export interface StreamPosition {
  seed: number;
  purpose: keyof typeof STREAM;
  index: number;
}

/** The random stream for one purpose at one step (or epoch). */
export function streamAt({ seed, purpose, index }: StreamPosition): Rng {
  return makeRng(subSeed(seed, STREAM[purpose], index));
}

/**
 * Dropout's keep-masks from `rng` (the step's dropout stream): uniforms drawn in the order the
 * network asks for masks, each entry 0 where u < rate, else 1 / (1 - rate). Both executors ask in
 * the plan's order, so they drop the same units.
 */
export function dropoutMasksFrom(rng: Rng): DropoutMasks {
  return (_name, shape, rate) => {
    const keep = Math.fround(1 / (1 - rate));
    let n = 1;
    for (const d of shape) n *= d;
    const mask = new Float32Array(n);
    for (let i = 0; i < n; i++) mask[i] = rng.uniform() < rate ? 0 : keep;
    return mask;
  };
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates) from `rng`. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  return p;
}

/** Which batch to draw: batch number `step` of `batchSize` examples from a data set of `n`, in the run with `seed`. */
export interface BatchPosition {
  n: number;
  batchSize: number;
  seed: number;
  step: number;
}

/**
 * Example indices of batch `step`: epochs are fresh permutations of the data set, and a batch that
 * crosses an epoch boundary continues into the next permutation. Pure in (n, batchSize, seed, step).
 */
export function batchIndices({ n, batchSize, seed, step }: BatchPosition): Int32Array {
  if (n < 1) throw new Error("batchIndices: the data set is empty");
  const out = new Int32Array(batchSize);
  let pos = step * batchSize;
  let epoch = Math.floor(pos / n);
  let perm = permutation(n, streamAt({ seed, purpose: "order", index: epoch }));
  for (let i = 0; i < batchSize; i++, pos++) {
    const e = Math.floor(pos / n);
    if (e !== epoch) {
      epoch = e;
      perm = permutation(n, streamAt({ seed, purpose: "order", index: epoch }));
    }
    out[i] = perm[pos - epoch * n];
  }
  return out;
}
