/**
 * The checkers of notebook 08 accept a right answer and reject the usual wrong one, saying what
 * differs; the right answers are written independently of the library (plain tensor arithmetic).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion } from "../../lib/diffusion/index";
import { checkGuidedEps, checkGuidedMean, checkLinearGradLogP } from "../../lib/course/guidance-checks";

beforeAll(async () => {
  await initBackend("wasm");
});

const quiet = { display: false };

test("checkGuidedMean accepts mu + s Sigma g and rejects the standard deviation in place of the variance", () => {
  const right = checkGuidedMean((mean, variance, g, s) => mean.add(variance.mul(g).mul(s)), quiet);
  expect(right.ok).toBe(true);
  expect(right.message).toMatch(/^✓ Algorithm 1: guided mean matches the library on 3 inputs/);
  const wrong = checkGuidedMean((mean, variance, g, s) => mean.add(variance.sqrt().mul(g).mul(s)), quiet);
  expect(wrong.ok).toBe(false);
  expect(wrong.message).toMatch(/✗ Algorithm 1: guided mean differs on case 1 of 3 .*element \[/);
  expect(wrong.message).toMatch(/hint: the shift is s times the variance/);
  // forgetting s passes the s = 1 case and fails at s = 3
  const noScale = checkGuidedMean((mean, variance, g) => mean.add(variance.mul(g)), quiet);
  expect(noScale.message).toMatch(/differs on case 2 of 3 .*s = 3/);
});

describe.each([
  ["cosine, learned variance", createGaussianDiffusion({ steps: 1000, noiseSchedule: "cosine", learnSigma: true })],
  ["linear, fixed variance", createGaussianDiffusion({ steps: 100, noiseSchedule: "linear" })],
])("checkGuidedEps (%s)", (_, d) => {
  const epsHat = (sign: number, index: (t: number) => number) => (eps: tf.Tensor4D, t: number[], g: tf.Tensor4D, s: number) => {
    const c = tf.tensor4d(
      t.map((i) => Math.sqrt(1 - d.alphasCumprod[index(i)])),
      [t.length, 1, 1, 1],
    );
    return eps.add(c.mul(g).mul(sign * s)) as tf.Tensor4D;
  };
  test("accepts eps - sqrt(1 - abar_t) s g", () => {
    const r = checkGuidedEps(
      epsHat(-1, (i) => i),
      d,
      quiet,
    );
    expect(r.ok).toBe(true);
  });
  test("rejects adding the gradient and reading abar one index late", () => {
    const plus = checkGuidedEps(
      epsHat(1, (i) => i),
      d,
      quiet,
    );
    expect(plus.ok).toBe(false);
    expect(plus.message).toMatch(/✗ Algorithm 2: guided eps differs on case 1 of 3/);
    expect(plus.message).toMatch(/hint: eps_hat = eps - sqrt\(1 - alphaBar\[t\]\)/);
    const late = checkGuidedEps(
      epsHat(-1, (i) => Math.min(i + 1, d.numTimesteps - 1)),
      d,
      quiet,
    );
    expect(late.ok).toBe(false);
  });
});

test("checkLinearGradLogP accepts (onehot(y) - softmax(xW + b)) W^T and rejects the logit's gradient W[:, y]", () => {
  const right = checkLinearGradLogP((x, W, b, y) => {
    const p = tf.softmax(x.matMul(W).add(b));
    return tf.oneHot(tf.tensor1d(y, "int32"), W.shape[1]).sub(p).matMul(W.transpose()) as tf.Tensor2D;
  }, quiet);
  expect(right.ok).toBe(true);
  expect(right.message).toMatch(/^✓ grad log softmax of a linear classifier matches the library on 3 inputs/);
  const logit = checkLinearGradLogP((x, W, b, y) => tf.gather(W.transpose(), tf.tensor1d(y, "int32")) as tf.Tensor2D, quiet);
  expect(logit.ok).toBe(false);
  expect(logit.message).toMatch(/differs on case 1 of 3 \(x = tensor \[4, 2\], W = tensor \[2, 2\]/);
  expect(logit.message).toMatch(/hint: log p\(y \| x\) = l_y - logsumexp_k l_k/);
});
