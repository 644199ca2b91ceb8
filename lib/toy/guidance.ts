/**
 * Classifier guidance on 2-D points where everything is exact, for notebook 08. The data are K
 * Gaussian classes with one shared covariance: y ~ pi, x_0 | y ~ N(mu_y, Sigma). The forward process
 * q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) keeps every class Gaussian:
 *
 *   x_t | y ~ N(m_y, Sigma_t),   m_y = sqrt(abar_t) mu_y,   Sigma_t = abar_t Sigma + (1 - abar_t) I,
 *
 * so with no training at all
 * - the noisy classifier p_t(y | x_t) is a softmax of logits linear in x_t (the x^T Sigma_t^-1 x
 *   term is shared by every class and cancels):  l_y = w_y . x_t + b_y,  w_y = Sigma_t^-1 m_y,
 *   b_y = log pi_y - m_y . Sigma_t^-1 m_y / 2;
 * - the score of the noisy marginal is grad log p_t(x_t) = sum_y p_t(y | x_t) Sigma_t^-1 (m_y - x_t),
 *   and the model's noise prediction is eps(x_t, t) = -sqrt(1 - abar_t) grad log p_t(x_t) (the
 *   minimiser of L_simple, Ho et al. 2020 / Song et al. 2021).
 *
 * Points are [N, 1, 1, 2] "images", so lib/sampling's samplers and classifierCondFn run on them
 * unchanged. Timesteps are the library's 0 .. T-1 indices of the unrespaced diffusion (what
 * the samplers hand a model after respacing).
 */
import * as tf from "@tensorflow/tfjs";
import { createGaussianDiffusion, type DiffusionModel, type GaussianDiffusion, type NoisyClassifier } from "../diffusion/index";
import { gaussianClasses, type ClassSpec, type Points } from "./data";

/** The exact model, classifier and data of {@link createGaussianGuidanceToy}. */
export interface GaussianGuidanceToy {
  /** the forward process (linear schedule, the posterior variance beta~_t for sampling) */
  diffusion: GaussianDiffusion;
  /** eps(x_t, t), exact for the mixture; x is [N, 1, 1, 2] */
  model: DiffusionModel;
  /** logits of p_t(y | x_t), exact; x is [N, 1, 1, 2] */
  classifier: NoisyClassifier;
  /** the classifier's weights at timestep t: logits = x W + b with W [2, K] */
  linearWeights(t: number): { W: number[][]; b: number[] };
  /** log p_t(x) for points [x0, y0, x1, y1, ...] */
  logDensity(points: Float32Array, t: number): Float32Array;
  /** p_t(y | x) for points [x0, y0, ...], row-major [n, K] */
  posterior(points: Float32Array, t: number): Float32Array;
  /** n labelled points of the clean data (t = 0) */
  data(n: number, seed?: number): Points;
  classes: ClassSpec[];
  prior: number[];
  dispose(): void;
}

/** Options of {@link createGaussianGuidanceToy}. */
export interface GaussianGuidanceToyOptions {
  /** diffusion steps (default 100) */
  T?: number;
  /** the class means (default three, on a triangle, overlapping) */
  means?: [number, number][];
  /** the shared covariance (default [[0.45, 0.1], [0.1, 0.35]]) */
  cov?: [[number, number], [number, number]];
  /** class prior (default uniform) */
  prior?: number[];
}

/** The shared covariance Sigma_t at each timestep, inverted: [N] tensors for entries (0,0), (0,1), (1,1). */
function noisyPrecision(cov: [[number, number], [number, number]], abar: tf.Tensor1D): { p00: tf.Tensor1D; p01: tf.Tensor1D; p11: tf.Tensor1D } {
  const one = tf.scalar(1);
  const a = abar.mul(cov[0][0]).add(one.sub(abar));
  const c = abar.mul(cov[0][1]);
  const d = abar.mul(cov[1][1]).add(one.sub(abar));
  const det = a.mul(d).sub(c.square());
  return { p00: d.div(det), p01: c.neg().div(det), p11: a.div(det) } as { p00: tf.Tensor1D; p01: tf.Tensor1D; p11: tf.Tensor1D };
}

/** Three overlapping Gaussian classes with one covariance and a uniform prior, on a diffusion of T steps. */
export function createGaussianGuidanceToy(opts: GaussianGuidanceToyOptions = {}): GaussianGuidanceToy {
  const T = opts.T ?? 100;
  const means = opts.means ?? [
    [-1, -0.5],
    [1, -0.5],
    [0, 0.8],
  ];
  const cov = opts.cov ?? [
    [0.45, 0.1],
    [0.1, 0.35],
  ];
  const K = means.length;
  const prior = opts.prior ?? new Array(K).fill(1 / K);
  if (prior.length !== K) throw new Error(`createGaussianGuidanceToy: ${prior.length} prior weights for ${K} class means`);
  if (!(cov[0][0] > 0 && cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0] > 0 && cov[0][1] === cov[1][0]))
    throw new Error(`createGaussianGuidanceToy: cov must be symmetric positive definite; got ${JSON.stringify(cov)}`);
  const diffusion = createGaussianDiffusion({ steps: T, noiseSchedule: "linear", sigmaSmall: true });
  const alphaBar = tf.keep(tf.tensor1d(Float32Array.from(diffusion.alphasCumprod)));
  const mu = tf.keep(tf.tensor2d(means.flat(), [K, 2]));
  const logPrior = tf.keep(tf.tensor1d(prior.map(Math.log)));

  /** For points x [N, 2] at timesteps t [N]: logits [N, K] and, per class, Sigma_t^-1 (m_y - x) [N, K, 2]. */
  const parts = (x: tf.Tensor2D, t: tf.Tensor1D) => {
    const abar = tf.gather(alphaBar, t.toInt()) as tf.Tensor1D;
    const { p00, p01, p11 } = noisyPrecision(cov, abar);
    const m = mu.expandDims(0).mul(abar.sqrt().reshape([-1, 1, 1])) as tf.Tensor3D; // m_y = sqrt(abar_t) mu_y, [N, K, 2]
    const [m0, m1] = tf.split(m, 2, 2).map((v) => v.squeeze([2])); // [N, K] each
    const col = (v: tf.Tensor1D) => v.reshape([-1, 1]);
    const w0 = m0.mul(col(p00)).add(m1.mul(col(p01))); // w_y = Sigma_t^-1 m_y
    const w1 = m0.mul(col(p01)).add(m1.mul(col(p11)));
    const [x0, x1] = tf.split(x, 2, 1); // [N, 1] each
    const logits = w0
      .mul(x0)
      .add(w1.mul(x1))
      .add(logPrior)
      .sub(w0.mul(m0).add(w1.mul(m1)).mul(0.5)) as tf.Tensor2D;
    const d0 = m0.sub(x0),
      d1 = m1.sub(x1); // m_y - x
    const toward = tf.stack([d0.mul(col(p00)).add(d1.mul(col(p01))), d0.mul(col(p01)).add(d1.mul(col(p11)))], 2) as tf.Tensor3D;
    return { logits, toward, abar, quad: { p00, p01, p11 } };
  };
  const flat = (x: tf.Tensor4D): tf.Tensor2D => {
    if (x.shape[1] !== 1 || x.shape[2] !== 1 || x.shape[3] !== 2)
      throw new Error(`the Gaussian guidance toy takes points shaped [N, 1, 1, 2]; got [${x.shape.join(", ")}]`);
    return x.reshape([-1, 2]);
  };
  const at = (n: number, t: number) => tf.fill([n], t, "int32") as tf.Tensor1D;

  const model: DiffusionModel = {
    forward: (x, t) =>
      tf.tidy(() => {
        const { logits, toward, abar } = parts(flat(x), t);
        const score = tf.softmax(logits).expandDims(2).mul(toward).sum(1); // sum_y p_t(y | x) Sigma_t^-1 (m_y - x)
        return score.mul(tf.sqrt(tf.scalar(1).sub(abar)).neg().reshape([-1, 1])).reshape(x.shape) as tf.Tensor4D;
      }),
  };
  const classifier: NoisyClassifier = { forward: (x, t) => tf.tidy(() => parts(flat(x), t).logits) };

  return {
    diffusion,
    model,
    classifier,
    linearWeights(t) {
      return tf.tidy(() => {
        // logits at the points 0, e_1, e_2 give b and the two rows of W
        const l = parts(tf.tensor2d([0, 0, 1, 0, 0, 1], [3, 2]), at(3, t)).logits.arraySync() as number[][];
        return { b: l[0], W: [l[1].map((v, k) => v - l[0][k]), l[2].map((v, k) => v - l[0][k])] };
      });
    },
    logDensity(points, t) {
      return tf.tidy(() => {
        const n = points.length / 2;
        const x = tf.tensor2d(points, [n, 2]);
        const { logits, quad } = parts(x, at(n, t));
        const [x0, x1] = tf.split(x, 2, 1).map((v) => v.squeeze([1]));
        // log p_t(x) = logsumexp_y l_y - x . Sigma_t^-1 x / 2 - log(2 pi) - log det Sigma_t / 2, with det Sigma_t^-1 = p00 p11 - p01^2
        const xPx = x0.square().mul(quad.p00).add(x0.mul(x1).mul(quad.p01).mul(2)).add(x1.square().mul(quad.p11));
        const logDetPrecision = quad.p00.mul(quad.p11).sub(quad.p01.square()).log();
        return tf
          .logSumExp(logits, 1)
          .sub(xPx.mul(0.5))
          .sub(Math.log(2 * Math.PI))
          .add(logDetPrecision.mul(0.5))
          .dataSync() as Float32Array;
      });
    },
    posterior(points, t) {
      return tf.tidy(() => tf.softmax(parts(tf.tensor2d(points, [points.length / 2, 2]), at(points.length / 2, t)).logits).dataSync() as Float32Array);
    },
    data(n, seed = 0) {
      return gaussianClasses(n, { seed, prior, classes: means.map((m) => ({ mean: m, cov })) });
    },
    classes: means.map((m) => ({ mean: m, cov })),
    prior,
    dispose() {
      tf.dispose([alphaBar, mu, logPrior]);
    },
  };
}
