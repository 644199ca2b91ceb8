/**
 * A small seedable random source so that every noise draw can be reproduced: mulberry32 for
 * uniforms and for the seeds handed to tf.randomNormal.
 */
import * as tf from "@tensorflow/tfjs";

/** A stream of uniform numbers in [0, 1). */
export interface Rng {
  uniform(): number;
}

/** mulberry32 seeded with a 32-bit integer. */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    uniform(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let z = a;
      z = Math.imul(z ^ (z >>> 15), z | 1);
      z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
      return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Standard normal noise of `shape`; reproducible when `rng` is given, else from Math.random. */
export function randn(shape: number[], rng?: Rng): tf.Tensor {
  const seed = rng ? Math.floor(rng.uniform() * 2 ** 31) : undefined;
  return tf.randomNormal(shape, 0, 1, "float32", seed);
}
