/**
 * The "Write it" checkers of notebooks 01 and 02 accept an answer written from the formula in plain
 * JavaScript (as the solutions notebooks write it) and reject the mistake each hint is about.
 */
import { initBackend } from "../../lib/backend";
import { gaussianLogPdf, type GaussianClassModel } from "../../lib/toy/gaussian";
import { checkGanLosses, checkLangevinStep, checkLogisticStep, checkMixtureLogProb, checkPosterior } from "../../lib/toy/exercise-checks";

beforeAll(async () => {
  await initBackend("wasm");
});

const quiet = { display: false };
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));
const softplus = (a: number) => Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));
const logSumExp = (a: number[]) => {
  const m = Math.max(...a);
  return m + Math.log(a.reduce((s, v) => s + Math.exp(v - m), 0));
};

describe("01: Bayes' rule", () => {
  const bayes = (usePrior: boolean) => (m: GaussianClassModel, x1: number, x2: number) => {
    const joint = [0, 1].map((k) => Math.exp(gaussianLogPdf(m.classes[k], x1, x2)) * (usePrior ? m.prior[k] : 1));
    return joint[1] / (joint[0] + joint[1]);
  };
  test("accepts prior times likelihood, normalised", () => {
    const r = checkPosterior(bayes(true), quiet);
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/^✓ p\(Y=1 \| x\) matches the library on 6 inputs/);
  });
  test("rejects the likelihood ratio without the prior", () => {
    const r = checkPosterior(bayes(false), quiet);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/✗ p\(Y=1 \| x\) differs on case 1 of 6 \(model = object, x1 = .*\): element : yours .*, the library's/);
    expect(r.message).toMatch(/hint: multiply each class density/);
  });
});

describe("01: a logistic regression gradient step", () => {
  const step = (reduce: (a: number[]) => number) => (w: number[], b: number, x: number[][], y: number[], lr: number) => {
    const err = x.map((xi, i) => sigmoid(w[0] * xi[0] + w[1] * xi[1] + b) - y[i]); // dL/df_i, up to the 1/n of the mean
    return { w: [0, 1].map((j) => w[j] - lr * reduce(err.map((e, i) => e * x[i][j]))), b: b - lr * reduce(err) };
  };
  test("accepts the mean gradient (p - y) x", () => {
    expect(checkLogisticStep(step(mean), quiet).ok).toBe(true);
  });
  test("rejects the summed gradient and a step uphill", () => {
    const sum = checkLogisticStep(
      step((a) => a.reduce((s, v) => s + v, 0)),
      quiet,
    );
    expect(sum.ok).toBe(false);
    expect(sum.message).toMatch(/differs on case 1 of 4 .*"w" element \[0\]/);
    const uphill = checkLogisticStep(
      step((a) => -mean(a)),
      quiet,
    );
    expect(uphill.ok).toBe(false);
  });
});

describe("02: the mixture log density", () => {
  const mixture = (normalise: boolean) => (v: number, logits: number[], means: number[], logStds: number[]) => {
    const lse = normalise ? logSumExp(logits) : 0;
    return logSumExp(logits.map((l, k) => l - lse - 0.5 * ((v - means[k]) / Math.exp(logStds[k])) ** 2 - logStds[k] - 0.5 * Math.log(2 * Math.PI)));
  };
  test("accepts log-softmax weights plus Gaussian log densities, log-sum-exp over components", () => {
    expect(checkMixtureLogProb(mixture(true), quiet).ok).toBe(true);
  });
  test("rejects unnormalised weights (logits used as log pi)", () => {
    const r = checkMixtureLogProb(mixture(false), quiet);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/hint: the weights are softmax\(logits\)/);
  });
});

describe("02: the GAN losses", () => {
  const losses = (saturating: boolean) => (dReal: number[], dFake: number[]) => ({
    d: mean(dReal.map((a) => softplus(-a))) + mean(dFake.map((a) => softplus(a))), // -log sigma(a) = softplus(-a), -log(1 - sigma(a)) = softplus(a)
    g: saturating ? -mean(dFake.map((a) => softplus(a))) : mean(dFake.map((a) => softplus(-a))),
  });
  test("accepts L_D and the non-saturating L_G", () => {
    expect(checkGanLosses(losses(false), quiet).ok).toBe(true);
  });
  test("rejects the saturating generator loss log(1 - sigma(D(G(z))))", () => {
    const r = checkGanLosses(losses(true), quiet);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/"g" element : yours/);
  });
});

describe("02: one Langevin step", () => {
  const step = (drift: number, noise: (eps: number) => number) => (x: number[], g: number[], eps: number, xi: number[]) =>
    x.map((v, i) => v - drift * eps * g[i] + noise(eps) * xi[i]);
  test("accepts x - (eps / 2) grad + sqrt(eps) xi", () => {
    expect(checkLangevinStep(step(0.5, Math.sqrt), quiet).ok).toBe(true);
  });
  test("rejects a full step eps grad and noise of scale eps", () => {
    expect(checkLangevinStep(step(1, Math.sqrt), quiet).ok).toBe(false);
    const r = checkLangevinStep(
      step(0.5, (e) => e),
      quiet,
    );
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/hint: walk downhill/);
  });
});
