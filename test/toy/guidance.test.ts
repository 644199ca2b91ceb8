/**
 * The exact guidance toy against independent computations: Bayes' rule with the full Gaussian
 * densities of x_t | y, finite differences of log p_t for the model's noise, and sampling: guided
 * DDIM and DDPM with s = 1 and the exact noisy classifier must draw from p(x_0 | y) = N(mu_y, Sigma).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { classifierCondFn, ddim, ddpm, sample } from "../../lib/sampling/index";
import { createGaussianGuidanceToy } from "../../lib/toy/guidance";

let toy: ReturnType<typeof createGaussianGuidanceToy>;
beforeAll(async () => {
  await initBackend("wasm");
  toy = createGaussianGuidanceToy();
});
afterAll(() => toy.dispose());
const K = 3;
const pts = new Float32Array([0.3, -0.2, -1.5, 0.4, 1.0, 1.2, 2.0, -1.0]);
const n = pts.length / 2;

/** pi_y N(x; sqrt(abar) mu_y, abar Sigma + (1 - abar) I) for each point and class, by the 2x2 formula. */
function joint(t: number): number[][] {
  const ab = toy.diffusion.alphasCumprod[t];
  return Array.from({ length: n }, (_, i) =>
    toy.classes.map(({ mean, cov }, y) => {
      const a = ab * cov[0][0] + 1 - ab,
        c = ab * cov[0][1],
        d = ab * cov[1][1] + 1 - ab;
      const det = a * d - c * c;
      const dx = pts[2 * i] - Math.sqrt(ab) * mean[0],
        dy = pts[2 * i + 1] - Math.sqrt(ab) * mean[1];
      const q = (d * dx * dx - 2 * c * dx * dy + a * dy * dy) / det;
      return (toy.prior[y] * Math.exp(-q / 2)) / (2 * Math.PI * Math.sqrt(det));
    }),
  );
}

test.each([0, 40, 99])("at t = %i the classifier is Bayes' rule and logDensity the mixture", (t) => {
  const j = joint(t);
  const post = toy.posterior(pts, t);
  const logp = toy.logDensity(pts, t);
  for (let i = 0; i < n; i++) {
    const total = j[i].reduce((a, b) => a + b, 0);
    expect(logp[i]).toBeCloseTo(Math.log(total), 4);
    for (let y = 0; y < K; y++) expect(post[i * K + y]).toBeCloseTo(j[i][y] / total, 5);
  }
  // the linear weights give the classifier's logits
  const { W, b } = toy.linearWeights(t);
  const logits = tf.tidy(() => toy.classifier.forward(tf.tensor4d(pts, [n, 1, 1, 2]), tf.fill([n], t, "int32") as tf.Tensor1D).arraySync()) as number[][];
  for (let i = 0; i < n; i++) for (let y = 0; y < K; y++) expect(pts[2 * i] * W[0][y] + pts[2 * i + 1] * W[1][y] + b[y]).toBeCloseTo(logits[i][y], 4);
});

test.each([0, 40, 99])("at t = %i the model's eps is -sqrt(1 - abar) times the finite-difference score", (t) => {
  const h = 1e-3;
  const eps = tf.tidy(() => toy.model.forward(tf.tensor4d(pts, [n, 1, 1, 2]), tf.fill([n], t, "int32") as tf.Tensor1D).dataSync());
  const logAt = (x: number[]) => Math.log(joint0(x, t));
  for (let i = 0; i < n; i++)
    for (let k = 0; k < 2; k++) {
      const up = [pts[2 * i], pts[2 * i + 1]],
        down = [pts[2 * i], pts[2 * i + 1]];
      up[k] += h;
      down[k] -= h;
      const score = (logAt(up) - logAt(down)) / (2 * h);
      expect(eps[2 * i + k]).toBeCloseTo(-Math.sqrt(1 - toy.diffusion.alphasCumprod[t]) * score, 3);
    }
});

/** The mixture density at one point, in float64. */
function joint0(x: number[], t: number): number {
  const ab = toy.diffusion.alphasCumprod[t];
  return toy.classes.reduce((sum, { mean, cov }, y) => {
    const a = ab * cov[0][0] + 1 - ab,
      c = ab * cov[0][1],
      d = ab * cov[1][1] + 1 - ab;
    const det = a * d - c * c;
    const dx = x[0] - Math.sqrt(ab) * mean[0],
      dy = x[1] - Math.sqrt(ab) * mean[1];
    return sum + (toy.prior[y] * Math.exp(-(d * dx * dx - 2 * c * dx * dy + a * dy * dy) / det / 2)) / (2 * Math.PI * Math.sqrt(det));
  }, 0);
}

// DDIM (Algorithm 2) follows the exact score of p_t(x_t | y) at s = 1, so only its 100-step discretisation errs;
// DDPM (Algorithm 1) also linearises log p(y | x) over each step, which at T = 100 moves the mean by a few hundredths
test.each([
  ["DDIM", ddim, 0.05],
  ["DDPM", ddpm, 0.08],
])("guided %s with s = 1 draws from p(x | y): mean and covariance of class 2", async (_, sampler, tol) => {
  const m = 3000,
    y = 2;
  const labels = tf.fill([m], y, "int32") as tf.Tensor1D;
  const x = await sample(sampler as typeof ddim, toy.diffusion, toy.model, [m, 1, 1, 2], {
    seed: 5,
    clipDenoised: false,
    modelKwargs: { y: labels },
    condFn: classifierCondFn(toy.classifier, 1),
  });
  const v = x.dataSync();
  tf.dispose([x, labels]);
  const mean = [0, 1].map((k) => Array.from({ length: m }, (_, i) => v[2 * i + k]).reduce((a, b) => a + b, 0) / m);
  const cov = (a: number, b: number) => Array.from({ length: m }, (_, i) => (v[2 * i + a] - mean[a]) * (v[2 * i + b] - mean[b])).reduce((s, z) => s + z, 0) / m;
  const want = toy.classes[y];
  // standard errors: sqrt(0.45 / 3000) = 0.012 for the mean; about 0.012 for the covariances
  expect(Math.abs(mean[0] - want.mean[0])).toBeLessThan(tol as number);
  expect(Math.abs(mean[1] - want.mean[1])).toBeLessThan(tol as number);
  expect(Math.abs(cov(0, 0) - want.cov[0][0])).toBeLessThan(tol as number);
  expect(Math.abs(cov(1, 1) - want.cov[1][1])).toBeLessThan(tol as number);
  expect(Math.abs(cov(0, 1) - want.cov[0][1])).toBeLessThan(tol as number);
});
