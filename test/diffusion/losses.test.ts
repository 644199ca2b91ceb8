import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { approxStandardNormalCdf, discretizedGaussianLogLikelihood, normalKl } from "../../lib/diffusion";

beforeAll(async () => {
  await initBackend("wasm");
});

const pdf = (x: number, mean: number, logvar: number): number =>
  Math.exp(-((x - mean) ** 2) / (2 * Math.exp(logvar))) / Math.sqrt(2 * Math.PI * Math.exp(logvar));

/** Simpson's rule on [a, b] with n (even) intervals. */
function simpson(f: (x: number) => number, a: number, b: number, n: number): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

test("normalKl equals the integral of p log(p / q)", () => {
  const cases = [
    [0, 0, 0, 0],
    [0.5, -1, -0.3, 0.4],
    [-1.2, 0.7, 0.4, -0.5],
    [2, -3, 0, 0],
  ];
  const got = tf.tidy(() =>
    normalKl(
      tf.tensor1d(cases.map((c) => c[0])),
      tf.tensor1d(cases.map((c) => c[1])),
      tf.tensor1d(cases.map((c) => c[2])),
      tf.tensor1d(cases.map((c) => c[3])),
    ).dataSync(),
  );
  cases.forEach(([m1, lv1, m2, lv2], i) => {
    const sd = Math.exp(lv1 / 2);
    const kl = simpson((x) => pdf(x, m1, lv1) * (Math.log(pdf(x, m1, lv1)) - Math.log(pdf(x, m2, lv2))), m1 - 12 * sd, m1 + 12 * sd, 4000);
    expect(Math.abs(got[i] - kl)).toBeLessThan(2e-6 * Math.max(1, kl));
  });
  // numbers broadcast against tensors (the prior term compares with N(0, 1))
  const prior = tf.tidy(() => normalKl(tf.tensor1d([0.5]), tf.tensor1d([-1]), 0, 0).dataSync()[0]);
  expect(prior).toBeCloseTo(0.5 * (-1 + 1 + Math.exp(-1) + 0.25), 6);
});

test("the tanh CDF approximation is within 2e-4 of the normal CDF", () => {
  const xs = Array.from({ length: 81 }, (_, i) => -4 + i * 0.1);
  const got = tf.tidy(() => approxStandardNormalCdf(tf.tensor1d(xs)).dataSync());
  xs.forEach((x, i) => {
    const exact = simpson((u) => pdf(u, 0, 0), -12, x, 4000);
    expect(Math.abs(got[i] - exact)).toBeLessThan(2e-4);
  });
});

describe("discretizedGaussianLogLikelihood", () => {
  const levels = Array.from({ length: 256 }, (_, k) => k / 127.5 - 1);

  test.each([
    [0.1, Math.log(0.05)],
    [-0.6, Math.log(0.3)],
    [0.98, Math.log(0.01)],
  ])("is the Gaussian mass of each 8-bit bin (mean %f, log scale %f), edges extended to +-infinity", (mean, logScale) => {
    const logp = tf.tidy(() => discretizedGaussianLogLikelihood(tf.tensor1d(levels), tf.fill([256], mean), tf.fill([256], logScale)).dataSync());
    const sd = Math.exp(logScale);
    let total = 0;
    levels.forEach((x, k) => {
      const lo = k === 0 ? mean - 12 * sd : x - 1 / 255;
      const hi = k === 255 ? mean + 12 * sd : x + 1 / 255;
      const exact =
        hi <= mean - 12 * sd || lo >= mean + 12 * sd
          ? 0
          : simpson((u) => pdf(u, mean, 2 * logScale), Math.max(lo, mean - 12 * sd), Math.min(hi, mean + 12 * sd), 200);
      const p = Math.exp(logp[k]);
      total += p;
      // the tanh CDF is off by at most 2e-4 at each bin edge
      expect(Math.abs(p - exact)).toBeLessThan(4e-4);
    });
    // the bins tile the real line, so the masses sum to one
    expect(Math.abs(total - 1)).toBeLessThan(1e-4);
  });

  test("shape mismatch is named", () => {
    tf.tidy(() => expect(() => discretizedGaussianLogLikelihood(tf.zeros([2]), tf.zeros([3]), tf.zeros([2]))).toThrow(/must have one shape/));
  });
});
