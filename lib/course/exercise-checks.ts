/**
 * Checkers for the exercises of notebooks 05 (ADM's layers) and 07 (the noisy classifier): each runs
 * the student's function and the library's on the same seeded random inputs (./check) and says which
 * case and element differ, with a hint at the usual mistake.
 */
import * as tf from "@tensorflow/tfjs";
import { adaGN, createParams, disposeParams, groupNorm32, groupNormParams, timestepEmbedding } from "../nn/index";
import { predictXstartFromEps, type GaussianDiffusion, type NoisyClassifier } from "../diffusion/index";
import { classifierCondFn } from "../sampling/index";
import { checkFunction, randomCases, type CheckOptions, type CheckResult } from "./check";

/** Options every checker here takes: where to show the result (default: in a notebook). */
export type ExerciseCheckOptions = Pick<CheckOptions, "display">;

/** A seeded `[n, h, w, c]` tensor of values spread like activations (mean m, scale s per channel). */
function activations(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const c = shape[3];
    const mean = tf.randomUniform([c], -2, 2, "float32", seed + 1);
    const scale = tf.randomUniform([c], 0.2, 3, "float32", seed + 2);
    return tf.randomNormal(shape, 0, 1, "float32", seed).mul(scale).add(mean) as tf.Tensor4D;
  });
}

/** GroupNorm's affine set to the identity (weight 1, bias 0), so only the normalisation is compared. */
function withPlainGroupNorm<T>(channels: number, use: (norm: (h: tf.Tensor4D) => tf.Tensor4D) => T): T {
  const params = createParams(groupNormParams("gn", channels));
  try {
    return use((h) => groupNorm32(params, "gn", h));
  } finally {
    disposeParams(params);
  }
}

/**
 * Exercise: GroupNorm without its affine, `yours(x, groups)` on `[N, H, W, C]`, against lib.nn's
 * `groupNorm32` (32 groups, eps 1e-5, biased variance) on 32, 64 and 128 channels.
 */
export function checkGroupNorm(yours: (x: tf.Tensor4D, groups: number) => tf.Tensor4D, opts: ExerciseCheckOptions = {}): CheckResult {
  const channels = [32, 64, 128];
  const cases = channels.map((c, k) => [activations([2, 4, 4, c], 10 + k), 32] as [tf.Tensor4D, number]);
  try {
    return checkFunction("GroupNorm", yours, (x) => withPlainGroupNorm(x.shape[3], (norm) => norm(x)), cases, {
      ...opts,
      argNames: ["x", "groups"],
      atol: 1e-4,
      rtol: 1e-4,
      hint: "each sample's channels split into `groups` consecutive groups; the mean and (biased) variance are taken over H, W and the group's channels together, then `(x - mean) / sqrt(variance + 1e-5)`",
    });
  } finally {
    tf.dispose(cases.map((c) => c[0]));
  }
}

/**
 * Exercise: AdaGN(h, y) = y_s GroupNorm(h) + y_b, `yours(h, e, groupNorm)` with `h` `[N, H, W, C]`,
 * `e` `[N, 2C]` the ResBlock's projection of the embedding (scale first, then shift) and `groupNorm`
 * the plain normalisation, against lib.nn's `adaGN`.
 */
export function checkAdaGN(
  yours: (h: tf.Tensor4D, e: tf.Tensor2D, groupNorm: (h: tf.Tensor4D) => tf.Tensor4D) => tf.Tensor4D,
  opts: ExerciseCheckOptions = {},
): CheckResult {
  const c = 64;
  const params = createParams(groupNormParams("gn", c));
  const norm = (h: tf.Tensor4D): tf.Tensor4D => groupNorm32(params, "gn", h);
  const cases = randomCases(
    3,
    (u, k) =>
      [activations([2, 4, 4, c], 20 + k), tf.randomNormal([2, 2 * c], 0, 0.5, "float32", Math.floor(u() * 1e6)) as tf.Tensor2D, norm] as [
        tf.Tensor4D,
        tf.Tensor2D,
        typeof norm,
      ],
    5,
  );
  try {
    return checkFunction("AdaGN", yours, (h, e) => adaGN(params, "gn", h, e), cases, {
      ...opts,
      argNames: ["h", "e", "groupNorm"],
      hint: "split e into `scale = e[:, :C]` and `shift = e[:, C:]` (scale first), then `groupNorm(h) * (1 + scale) + shift`: the scale is `1 + scale` so that e = 0 leaves GroupNorm(h) unchanged, and the shift is added after the norm, not before",
    });
  } finally {
    tf.dispose(cases.flatMap((c) => [c[0], c[1]]));
    disposeParams(params);
  }
}

/**
 * Exercise: the sinusoidal timestep embedding, `yours(t, dim)` for an array of timesteps, against
 * lib.nn's `timestepEmbedding` (guided-diffusion's `timestep_embedding`, max period 10000).
 */
export function checkTimestepEmbedding(yours: (t: number[], dim: number) => tf.Tensor2D | number[][], opts: ExerciseCheckOptions = {}): CheckResult {
  const cases = randomCases(3, (u, k) => [Array.from({ length: 5 }, () => Math.floor(u() * 1000)), [8, 32, 128][k]] as [number[], number], 3);
  const flat = (v: tf.Tensor2D | number[][]): tf.Tensor2D | number[] => (Array.isArray(v) ? v.flat() : v);
  return checkFunction(
    "timestep embedding",
    (t: number[], dim: number) => flat(yours(t, dim)),
    (t, dim) => timestepEmbedding(tf.tensor1d(t), dim),
    cases,
    {
      ...opts,
      argNames: ["t", "dim"],
      atol: 2e-4,
      rtol: 1e-4,
      hint: "half = dim / 2 frequencies `f[i] = exp(-ln(10000) * i / half)` for i = 0 .. half-1; the row is `[cos(t f[0]) .. cos(t f[half-1]), sin(t f[0]) .. sin(t f[half-1])]`, cosines first",
    },
  );
}

/**
 * Exercise: the guidance gradient grad_x log p_phi(y | x_t), `yours(x, t, y)` for a batch, against
 * lib.sampling's `classifierCondFn(classifier, 1)`, on random inputs of the classifier's image size.
 */
export function checkClassifierGradient(
  yours: (x: tf.Tensor4D, t: tf.Tensor1D, y: tf.Tensor1D) => tf.Tensor4D,
  classifier: NoisyClassifier & { config: { imageSize: number; inChannels: number; outChannels: number } },
  opts: ExerciseCheckOptions = {},
): CheckResult {
  const { imageSize: s, inChannels: c, outChannels: k } = classifier.config;
  const ref = classifierCondFn(classifier, 1);
  const cases = randomCases(
    3,
    (u) =>
      [
        tf.randomNormal([2, s, s, c], 0, 1, "float32", Math.floor(u() * 1e6)) as tf.Tensor4D,
        tf.tensor1d([Math.floor(u() * 1000), Math.floor(u() * 1000)], "int32"),
        tf.tensor1d([Math.floor(u() * k), Math.floor(u() * k)], "int32"),
      ] as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D],
    7,
  );
  try {
    return checkFunction("grad log p(y | x_t)", yours, (x, t, y) => ref(x, t, { y }) as tf.Tensor4D, cases, {
      ...opts,
      argNames: ["x", "t", "y"],
      atol: 1e-5,
      rtol: 1e-3,
      hint: "differentiate the log-probability, `log softmax(logits)[y]` (not the logit or the probability), with `tf.grad` with respect to x; for a batch, sum each image's own `log p(y[i] | x[i])` before differentiating",
    });
  } finally {
    tf.dispose(cases.flat());
  }
}

/**
 * Exercise: the model's guess of x_0 from x_t and its noise prediction,
 * x_0 = (x_t - sqrt(1 - alphaBar_t) eps) / sqrt(alphaBar_t), `yours(xt, eps, t)` with `t` an array of
 * library timestep indices, against lib.diffusion's `predictXstartFromEps`.
 */
export function checkPredictXstart(
  yours: (xt: tf.Tensor4D, eps: tf.Tensor4D, t: number[]) => tf.Tensor4D,
  diffusion: GaussianDiffusion,
  opts: ExerciseCheckOptions = {},
): CheckResult {
  const T = diffusion.numTimesteps;
  const cases = randomCases(
    3,
    (u, k) =>
      [
        tf.randomNormal([3, 4, 4, 1], 0, 1, "float32", 30 + k) as tf.Tensor4D,
        tf.randomNormal([3, 4, 4, 1], 0, 1, "float32", 40 + k) as tf.Tensor4D,
        [0, Math.floor(u() * T), T - 1 - Math.floor(u() * 10)],
      ] as [tf.Tensor4D, tf.Tensor4D, number[]],
    9,
  );
  try {
    return checkFunction("predicted x_0", yours, (xt, eps, t) => predictXstartFromEps(diffusion, xt, tf.tensor1d(t, "int32"), eps), cases, {
      ...opts,
      argNames: ["xt", "eps", "t"],
      atol: 1e-4,
      rtol: 1e-4,
      hint: "use `alphasCumprod[t]` at the library index t (not t - 1 or t + 1): `x0 = (xt - sqrt(1 - alphaBar[t]) * eps) / sqrt(alphaBar[t])`",
    });
  } finally {
    tf.dispose(cases.flatMap((c) => [c[0], c[1]]));
  }
}
