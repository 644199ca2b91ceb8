/**
 * Checkers for the "Write it" cells of notebooks 01 and 02: each runs the student's plain-JavaScript
 * function and the library's on the same seeded random inputs (lib/course/check.ts) and says which
 * case and number differ, with a hint at the usual mistake.
 *
 *   01: Bayes' rule for p(Y=1|x) from the class Gaussians and the prior; one gradient step of
 *       logistic regression on the cross-entropy.
 *   02: the log density of a 1-D Gaussian mixture (the autoregressive model's factors); the GAN's
 *       discriminator and non-saturating generator losses; one Langevin step.
 */
import * as tf from "@tensorflow/tfjs";
import { checkFunction, randomCases, type CheckOptions, type CheckResult } from "../course/check";
import { type Gaussian2, type GaussianClassModel, posteriorOf } from "./gaussian";
import { mixtureLogProb } from "./autoregressive";
import { nonSaturatingLosses } from "./gan";
import { langevinStep } from "./ebm";

/** Options every checker here takes: where to show the result (default: in a notebook). */
export type ToyCheckOptions = Pick<CheckOptions, "display">;

/** A random 2-D Gaussian: mean in [-2, 2]^2, a covariance with variances 0.2..1.7 and correlation -0.7..0.7. */
function randomGaussian(u: () => number): Gaussian2 {
  const sx = 0.2 + 1.5 * u(),
    sy = 0.2 + 1.5 * u(),
    r = 1.4 * u() - 0.7;
  const c = r * Math.sqrt(sx * sy);
  return {
    mean: [4 * u() - 2, 4 * u() - 2],
    cov: [
      [sx, c],
      [c, sy],
    ],
  };
}

/** A value that float32 holds exactly, so the library's Float32Array inputs equal the student's numbers. */
const f32 = (v: number): number => Math.fround(v);

/**
 * 01, Bayes' rule: `yours(model, x1, x2)` returns p(Y=1 | x) for a two-class model (prior and one
 * Gaussian per class), against lib.toy's `posteriorOf`, on random models and points.
 */
export function checkPosterior(yours: (model: GaussianClassModel, x1: number, x2: number) => number, opts: ToyCheckOptions = {}): CheckResult {
  const cases = randomCases(
    6,
    (u) => {
      const p1 = 0.1 + 0.8 * u();
      const model: GaussianClassModel = { prior: [1 - p1, p1], classes: [randomGaussian(u), randomGaussian(u)] };
      return [model, f32(6 * u() - 3), f32(6 * u() - 3)] as [GaussianClassModel, number, number];
    },
    11,
  );
  return checkFunction("p(Y=1 | x)", yours, (m, x1, x2) => posteriorOf(m, new Float32Array([x1, x2]), 1)[0], cases, {
    ...opts,
    argNames: ["model", "x1", "x2"],
    atol: 1e-6,
    rtol: 1e-5,
    hint: "multiply each class density exp(gaussianLogPdf(model.classes[k], x1, x2)) by its prior model.prior[k], then divide class 1's product by the sum of both",
  });
}

/** The mean cross-entropy of logistic regression, -mean[y log sigma(f) + (1 - y) log(1 - sigma(f))] with f = x w + b. */
function logisticLoss(w: tf.Tensor, b: tf.Tensor, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.losses.sigmoidCrossEntropy(y, tf.add(tf.matMul(x, w.reshape([-1, 1])), b)) as tf.Scalar;
}

/**
 * 01, logistic regression: `yours(w, b, x, y, lr)` returns the parameters after one gradient-descent
 * step on the mean cross-entropy, `{ w: w - lr dL/dw, b: b - lr dL/db }`, against the gradient that
 * tfjs's automatic differentiation gives for `tf.losses.sigmoidCrossEntropy`.
 */
export function checkLogisticStep(
  yours: (w: number[], b: number, x: number[][], y: number[], lr: number) => { w: number[]; b: number },
  opts: ToyCheckOptions = {},
): CheckResult {
  const cases = randomCases(
    4,
    (u, k) => {
      const n = [5, 12, 30, 8][k];
      const x = Array.from({ length: n }, () => [f32(4 * u() - 2), f32(4 * u() - 2)]);
      const y = x.map(() => (u() < 0.5 ? 0 : 1));
      return [[f32(2 * u() - 1), f32(2 * u() - 1)], f32(u() - 0.5), x, y, [0.1, 0.5, 1, 0.05][k]] as [number[], number, number[][], number[], number];
    },
    12,
  );
  const reference = (w: number[], b: number, x: number[][], y: number[], lr: number) =>
    tf.tidy(() => {
      const xt = tf.tensor2d(x),
        yt = tf.tensor2d(y, [y.length, 1]);
      const [gw, gb] = tf.grads((wv: tf.Tensor, bv: tf.Tensor) => logisticLoss(wv, bv, xt, yt))([tf.tensor1d(w), tf.scalar(b)]);
      return { w: Array.from(gw.dataSync(), (g, i) => w[i] - lr * g), b: b - lr * gb.dataSync()[0] };
    });
  return checkFunction("logistic regression step", yours, reference, cases, {
    ...opts,
    argNames: ["w", "b", "x", "y", "lr"],
    atol: 1e-5,
    rtol: 1e-4,
    hint: "with p_i = sigmoid(w·x_i + b): dL/dw = mean over i of (p_i - y_i) x_i and dL/db = mean of (p_i - y_i) (a mean, not a sum); then step downhill, w - lr dL/dw",
  });
}

/**
 * 02, the autoregressive model's factor: `yours(v, logits, means, logStds)` returns
 * log sum_k pi_k N(v; m_k, exp(logStd_k)^2) with pi = softmax(logits), against lib.toy's
 * `mixtureLogProb`, for mixtures of 1 to 8 components (some far from v).
 */
export function checkMixtureLogProb(
  yours: (v: number, logits: number[], means: number[], logStds: number[]) => number,
  opts: ToyCheckOptions = {},
): CheckResult {
  const cases = randomCases(
    6,
    (u, k) => {
      const K = [1, 3, 8, 5, 8, 2][k];
      const list = (lo: number, hi: number) => Array.from({ length: K }, () => f32(lo + (hi - lo) * u()));
      return [f32(6 * u() - 3), list(-3, 3), list(-3, 3), list(-2, 0.5)] as [number, number[], number[], number[]];
    },
    21,
  );
  const row = (a: number[]) => tf.tensor2d(a, [1, a.length]);
  return checkFunction(
    "mixture log density",
    yours,
    (v, logits, means, logStds) => mixtureLogProb(tf.tensor2d([v], [1, 1]), row(logits), row(means), row(logStds)),
    cases,
    {
      ...opts,
      argNames: ["v", "logits", "means", "logStds"],
      atol: 1e-4,
      rtol: 1e-4,
      hint: "the weights are softmax(logits) (they must sum to 1: log pi_k = logits_k - logSumExp(logits)); each component is log N(v; m, s^2) = -0.5 ((v - m) / s)^2 - log s - 0.5 log(2 pi) with s = exp(logStd); combine the log-weights and log-densities with a log-sum-exp over k",
    },
  );
}

/**
 * 02, the GAN's losses: `yours(dReal, dFake)` returns `{ d, g }` from the discriminator's logits on a
 * batch of real points and a batch of generated ones, L_D = -mean log sigma(D(x)) - mean log(1 -
 * sigma(D(G(z)))) and the non-saturating L_G = -mean log sigma(D(G(z))), against lib.toy's
 * `nonSaturatingLosses`.
 */
export function checkGanLosses(yours: (dReal: number[], dFake: number[]) => { d: number; g: number }, opts: ToyCheckOptions = {}): CheckResult {
  const cases = randomCases(
    4,
    (u, k) => {
      const n = [4, 10, 7, 16][k];
      const logits = (scale: number) => Array.from({ length: n }, () => f32(scale * (2 * u() - 1)));
      return [logits([1, 3, 6, 2][k]), logits([1, 3, 6, 2][k])] as [number[], number[]];
    },
    22,
  );
  return checkFunction("GAN losses", yours, (dReal, dFake) => nonSaturatingLosses(tf.tensor1d(dReal), tf.tensor1d(dFake)), cases, {
    ...opts,
    argNames: ["dReal", "dFake"],
    atol: 1e-5,
    rtol: 1e-4,
    hint: "sigma(a) = 1 / (1 + exp(-a)); the discriminator wants sigma(D) near 1 on real and near 0 on fake points, the generator (non-saturating) minimises -log sigma(D(G(z))), not log(1 - sigma(D(G(z))))",
  });
}

/**
 * 02, Langevin dynamics: `yours(x, grad, eps, xi)` returns one step x - (eps / 2) grad + sqrt(eps) xi
 * for flat arrays of coordinates, against lib.toy's `langevinStep`.
 */
export function checkLangevinStep(yours: (x: number[], grad: number[], eps: number, xi: number[]) => number[], opts: ToyCheckOptions = {}): CheckResult {
  const cases = randomCases(
    4,
    (u, k) => {
      const list = () => Array.from({ length: 8 }, () => f32(4 * u() - 2));
      return [list(), list(), [0.01, 0.1, 0.5, 0.001][k], list()] as [number[], number[], number, number[]];
    },
    23,
  );
  const pts = (a: number[]) => tf.tensor2d(a, [a.length / 2, 2]);
  return checkFunction("Langevin step", yours, (x, grad, eps, xi) => langevinStep(pts(x), pts(grad), eps, pts(xi)), cases, {
    ...opts,
    argNames: ["x", "grad", "eps", "xi"],
    atol: 1e-5,
    rtol: 1e-4,
    hint: "walk downhill on the energy by half the step size, x - (eps / 2) grad, and add noise of variance eps, so its scale is sqrt(eps) (not eps)",
  });
}
