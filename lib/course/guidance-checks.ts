/**
 * Checkers for the exercises of notebook 08 (classifier guidance): each runs the student's function
 * and the library's on the same seeded random inputs (./check) and says which case and element
 * differ, with a hint at the usual mistake.
 * - Algorithm 1's guided mean mu + s Sigma grad log p(y | x_t), against lib.diffusion's conditionMean;
 * - Algorithm 2's guided noise eps - sqrt(1 - abar_t) s grad log p(y | x_t), against conditionScore;
 * - grad_x log softmax(x W + b)_y of a linear classifier in closed form, against classifierCondFn.
 */
import * as tf from "@tensorflow/tfjs";
import { conditionMean, conditionScore, pMeanVariance, predictEpsFromXstart, type GaussianDiffusion, type NoisyClassifier } from "../diffusion/index";
import { classifierCondFn } from "../sampling/index";
import { checkFunction, randomCases, type CheckResult } from "./check";
import type { ExerciseCheckOptions } from "./exercise-checks";

const seedOf = (u: () => number): number => Math.floor(u() * 1e6);

/**
 * Exercise: Algorithm 1's mean, `yours(mean, variance, gradLogP, s)` = mu + s Sigma grad log p(y | x_t),
 * all tensors [N, H, W, C] (Sigma diagonal, one variance per element, as ADM learns it), against
 * lib.diffusion's `conditionMean` given the gradient s grad log p.
 */
export function checkGuidedMean(
  yours: (mean: tf.Tensor4D, variance: tf.Tensor4D, gradLogP: tf.Tensor4D, s: number) => tf.Tensor4D,
  opts: ExerciseCheckOptions = {},
): CheckResult {
  const cases = randomCases(
    3,
    (u, k) => {
      const shape: [number, number, number, number] = [2, 4, 4, 1];
      const mean = tf.randomNormal(shape, 0, 1, "float32", seedOf(u)) as tf.Tensor4D;
      // variances spread over decades, as a learned Sigma_t is from t = 0 to T
      const variance = tf.exp(tf.randomUniform(shape, -9, -1, "float32", seedOf(u))) as tf.Tensor4D;
      const grad = tf.randomNormal(shape, 0, 5, "float32", seedOf(u)) as tf.Tensor4D;
      return [mean, variance, grad, [1, 3, 10][k]] as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, number];
    },
    81,
  );
  const reference = (mean: tf.Tensor4D, variance: tf.Tensor4D, gradLogP: tf.Tensor4D, s: number): tf.Tensor4D =>
    conditionMean({ mean, variance, logVariance: tf.log(variance), predXstart: mean }, gradLogP.mul(s)).mean;
  try {
    return checkFunction("Algorithm 1: guided mean", yours, reference, cases, {
      ...opts,
      argNames: ["mean", "variance", "gradLogP", "s"],
      atol: 1e-5,
      rtol: 1e-4,
      hint: "the shift is s times the variance Sigma (not its square root, the standard deviation) times the gradient, added to the mean: `mean + s * variance * gradLogP`",
    });
  } finally {
    tf.dispose(cases.flatMap((c) => [c[0], c[1], c[2]]));
  }
}

/**
 * Exercise: Algorithm 2's guided noise, `yours(eps, t, gradLogP, s)` = eps - sqrt(1 - abar_t) s grad log p(y | x_t)
 * with `t` the library timestep index of each image, against lib.diffusion's `conditionScore`
 * (read back as the noise its x_0 prediction implies).
 */
export function checkGuidedEps(
  yours: (eps: tf.Tensor4D, t: number[], gradLogP: tf.Tensor4D, s: number) => tf.Tensor4D,
  diffusion: GaussianDiffusion,
  opts: ExerciseCheckOptions = {},
): CheckResult {
  const T = diffusion.numTimesteps;
  const cases = randomCases(
    3,
    (u, k) =>
      [
        tf.randomNormal([3, 4, 4, 1], 0, 1, "float32", seedOf(u)) as tf.Tensor4D,
        [Math.floor(u() * 20), Math.floor(u() * T), T - 1 - Math.floor(u() * 20)],
        tf.randomNormal([3, 4, 4, 1], 0, 1, "float32", seedOf(u)) as tf.Tensor4D,
        [1, 3, 10][k],
      ] as [tf.Tensor4D, number[], tf.Tensor4D, number],
    82,
  );
  const learned = diffusion.modelVarType === "learned" || diffusion.modelVarType === "learned_range";
  // conditionScore works on a step's p_mean_variance; x_t is arbitrary (eps_hat does not depend on it)
  const reference = (eps: tf.Tensor4D, t: number[], gradLogP: tf.Tensor4D, s: number): tf.Tensor4D => {
    const x = tf.randomNormal(eps.shape, 0, 1, "float32", 7) as tf.Tensor4D;
    const tt = tf.tensor1d(t, "int32");
    const out = learned ? (tf.concat([eps, tf.zerosLike(eps)], 3) as tf.Tensor4D) : eps;
    const guided = conditionScore(diffusion, pMeanVariance(diffusion, out, x, tt, { clipDenoised: false }), x, tt, gradLogP.mul(s));
    return predictEpsFromXstart(diffusion, x, tt, guided.predXstart);
  };
  try {
    return checkFunction("Algorithm 2: guided eps", yours, reference, cases, {
      ...opts,
      argNames: ["eps", "t", "gradLogP", "s"],
      atol: 2e-4,
      rtol: 1e-3,
      hint: "eps_hat = eps - sqrt(1 - alphaBar[t]) * s * gradLogP, with alphaBar = alphasCumprod at each image's own library index t (shaped [N, 1, 1, 1]); the gradient is subtracted, since eps points away from the data",
    });
  } finally {
    tf.dispose(cases.flatMap((c) => [c[0], c[2]]));
  }
}

/**
 * Exercise: the gradient of log softmax(x W + b)_y with respect to x for a linear classifier, in
 * closed form, `yours(x, W, b, y)` with x [N, D], W [D, K], b [K] and one label per row, against
 * lib.sampling's `classifierCondFn` (tf.grad) on the same classifier.
 */
export function checkLinearGradLogP(
  yours: (x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, y: number[]) => tf.Tensor2D,
  opts: ExerciseCheckOptions = {},
): CheckResult {
  const dims: [number, number][] = [
    [2, 2],
    [2, 3],
    [5, 4],
  ];
  const cases = randomCases(
    3,
    (u, k) => {
      const [D, K] = dims[k];
      return [
        tf.randomNormal([4, D], 0, 1, "float32", seedOf(u)) as tf.Tensor2D,
        tf.randomNormal([D, K], 0, 1.5, "float32", seedOf(u)) as tf.Tensor2D,
        tf.randomNormal([K], 0, 1, "float32", seedOf(u)) as tf.Tensor1D,
        Array.from({ length: 4 }, () => Math.floor(u() * K)),
      ] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, number[]];
    },
    83,
  );
  const reference = (x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, y: number[]): tf.Tensor2D => {
    const linear: NoisyClassifier = { forward: (xx) => xx.reshape([xx.shape[0], -1]).matMul(W).add(b) as tf.Tensor2D };
    const [n, D] = x.shape;
    const g = classifierCondFn(linear, 1)(x.reshape([n, 1, 1, D]) as tf.Tensor4D, tf.zeros([n], "int32") as tf.Tensor1D, { y: tf.tensor1d(y, "int32") });
    return (g as tf.Tensor4D).reshape([n, D]);
  };
  try {
    return checkFunction("grad log softmax of a linear classifier", yours, reference, cases, {
      ...opts,
      argNames: ["x", "W", "b", "y"],
      atol: 1e-5,
      rtol: 1e-4,
      hint: "log p(y | x) = l_y - logsumexp_k l_k with l = x W + b, so its gradient is W's column y minus the average of all columns weighted by p = softmax(l): `W[:, y] - sum_k p_k W[:, k]`, i.e. (onehot(y) - p) W^T",
    });
  } finally {
    tf.dispose(cases.flatMap((c) => [c[0], c[1], c[2]]));
  }
}
