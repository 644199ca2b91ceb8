/**
 * The library's one seedable random source, so every data set, initialisation, minibatch and noise
 * draw can be reproduced: mulberry32 (a 32-bit counter through an avalanching mix) for uniforms,
 * Box-Muller for normals, and the seeds handed to tf.randomNormal.
 *
 * The uniform stream of a seed is part of the library's contract: the diffusion goldens, the seeded
 * samplers and an exactly resumed training run all depend on it, so it must not change.
 */
import * as tf from "@tensorflow/tfjs";

/** A stream of random numbers; every method advances the same state. */
export interface Rng {
  /** uniform in [0, 1) */
  uniform(): number;
  /** standard normal (Box-Muller; each pair of uniforms gives two normals, the second kept for the next call) */
  normal(): number;
  /** integer in 0..n-1 */
  int(n: number): number;
  /** `n` standard normals */
  normals(n: number): Float32Array;
  /** `n` uniforms in [lo, hi) */
  uniforms(n: number, lo?: number, hi?: number): Float32Array;
  /** a fresh seed in 0..2^31-1, for a child stream or a tf.random* call */
  seed(): number;
}

/** mulberry32 seeded with a 32-bit integer (`seed >>> 0`). */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  let spare: number | null = null;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    uniform,
    normal(): number {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      let u = 0;
      while (u === 0) u = uniform(); // log(0) would be -Infinity
      const v = uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int: (n) => Math.floor(uniform() * n),
    normals(n) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = rng.normal();
      return out;
    },
    uniforms(n, lo = 0, hi = 1) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * uniform();
      return out;
    },
    seed: () => Math.floor(uniform() * 2 ** 31),
  };
  return rng;
}

/** Standard normal noise of `shape` from tf.randomNormal; reproducible when `rng` is given (it supplies the seed), else from Math.random. */
export function randn(shape: number[], rng?: Rng): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, "float32", rng?.seed());
}
