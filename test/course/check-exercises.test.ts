/**
 * The "Write it" checkers of notebooks 03 and 04, set up as in their cells (same cases, same
 * references, same tolerances): each accepts the solution and rejects the mistake its hint is
 * about, so an exercise cannot pass with the classic error.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion, normalKl, pMeanVariance, priorBpd, qPosteriorMeanVariance, qSample } from "../../lib/diffusion/index";
import { checkFunction, randomCases } from "../../lib/course/check";

beforeAll(async () => {
  await initBackend("wasm");
});

const T = 1000;
const d = createGaussianDiffusion({ steps: T, noiseSchedule: "linear" });
const quiet = { display: false };
const col = (v: number[]) => tf.tensor4d(v, [1, 1, v.length, 1]);

describe("03: x_t from x_0 in seminar time", () => {
  const cases = randomCases(
    4,
    (u) => {
      const x0 = Array.from({ length: 6 }, () => 2 * u() - 1),
        eps = Array.from({ length: 6 }, () => 2 * u() - 1);
      return [x0, 1 + Math.floor(u() * T), eps] as [number[], number, number[]];
    },
    1,
  );
  cases.push([cases[0][0], 1, cases[0][2]], [cases[1][0], T, cases[1][2]]);
  const library = (x0: number[], t: number, eps: number[]) => qSample(d, col(x0), tf.tensor1d([t - 1], "int32"), col(eps));
  const withIndex = (index: (t: number) => number) => (x0: number[], t: number, eps: number[]) =>
    x0.map((v, k) => Math.sqrt(d.alphasCumprod[index(t)]) * v + Math.sqrt(1 - d.alphasCumprod[index(t)]) * eps[k]);

  test("accepts alphasCumprod[t - 1] and rejects the off-by-one alphasCumprod[t]", () => {
    expect(
      checkFunction(
        "xtFromX0",
        withIndex((t) => t - 1),
        library,
        cases,
        quiet,
      ).ok,
    ).toBe(true);
    const r = checkFunction(
      "xtFromX0",
      withIndex((t) => t),
      library,
      cases,
      quiet,
    );
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/differs on case 1 of 6/);
  });
});

describe("03: the prior term in bits per dimension", () => {
  const diffusions = { linear: d, cosine: createGaussianDiffusion({ steps: T, noiseSchedule: "cosine" }) };
  const cases = randomCases(
    4,
    (u, k) => [Array.from({ length: 16 }, () => 2 * u() - 1), k % 2 === 0 ? "linear" : "cosine"] as [number[], "linear" | "cosine"],
    2,
  );
  const library = (x0: number[], name: "linear" | "cosine") => priorBpd(diffusions[name], col(x0));
  const opts = { ...quiet, atol: 1e-12, rtol: 2e-2 };
  const nats = (x0: number[], name: "linear" | "cosine") => {
    const ab = diffusions[name].alphasCumprod[T - 1];
    return x0.reduce((s, v) => s + 0.5 * (-1 - Math.log(1 - ab) + (1 - ab) + ab * v * v), 0) / x0.length;
  };

  test("accepts the KL in bits despite the library's float32 and rejects it in nats", () => {
    expect(checkFunction("priorBits", (x0, name) => nats(x0, name) / Math.LN2, library, cases, opts).ok).toBe(true);
    expect(checkFunction("priorBits", nats, library, cases, opts).ok).toBe(false);
  });
});

describe("04: the posterior q(x_{t-1} | x_t, x_0)", () => {
  const cases = randomCases(
    4,
    (u) => {
      const x0 = Array.from({ length: 4 }, () => 2 * u() - 1),
        xt = Array.from({ length: 4 }, () => 3 * u() - 1.5);
      return [x0, xt, 2 + Math.floor(u() * (T - 1))] as [number[], number[], number];
    },
    1,
  );
  cases.push([cases[0][0], cases[0][1], 1], [cases[1][0], cases[1][1], T]);
  const library = (x0: number[], xt: number[], t: number) => ({
    mean: qPosteriorMeanVariance(d, col(x0), col(xt), tf.tensor1d([t - 1], "int32")).mean,
    variance: d.posteriorVariance[t - 1],
  });
  const posterior = (abarPrev: (t: number) => number) => (x0: number[], xt: number[], t: number) => {
    const beta = d.betas[t - 1],
      ab = d.alphasCumprod[t - 1],
      abPrev = abarPrev(t);
    const c1 = (Math.sqrt(abPrev) * beta) / (1 - ab),
      c2 = (Math.sqrt(1 - beta) * (1 - abPrev)) / (1 - ab);
    return { mean: x0.map((v, k) => c1 * v + c2 * xt[k]), variance: ((1 - abPrev) / (1 - ab)) * beta };
  };

  test("accepts eq. 7 with abar_0 = 1", () => {
    expect(
      checkFunction(
        "posterior",
        posterior((t) => (t === 1 ? 1 : d.alphasCumprod[t - 2])),
        library,
        cases,
        quiet,
      ).ok,
    ).toBe(true);
  });

  test("rejects abar_t in place of abar_{t-1}, and a missing abar_0 = 1 at t = 1", () => {
    expect(
      checkFunction(
        "posterior",
        posterior((t) => d.alphasCumprod[t - 1]),
        library,
        cases,
        quiet,
      ).ok,
    ).toBe(false);
    const r = checkFunction(
      "posterior",
      posterior((t) => d.alphasCumprod[t - 2]),
      library,
      cases,
      { ...quiet, argNames: ["x0", "xt", "t"] },
    );
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/case 5 of 6 \(x0 = array of 4, xt = array of 4, t = 1\).*NaN/);
  });
});

describe("04: the reverse mean (eq. 11) and the Gaussian KL", () => {
  test("reverseMean: accepts eq. 11 and rejects dividing only the noise term by sqrt(alpha_t)", () => {
    const cases = randomCases(
      4,
      (u) => {
        const xt = Array.from({ length: 4 }, () => 4 * u() - 2),
          eps = Array.from({ length: 4 }, () => 4 * u() - 2);
        return [xt, eps, 1 + Math.floor(u() * T)] as [number[], number[], number];
      },
      2,
    );
    cases.push([cases[0][0], cases[0][1], 1], [cases[1][0], cases[1][1], T]);
    const library = (xt: number[], eps: number[], t: number) =>
      pMeanVariance(d, col(eps), col(xt), tf.tensor1d([t - 1], "int32"), { clipDenoised: false }).mean;
    const coef = (t: number) => d.betas[t - 1] / Math.sqrt(1 - d.alphasCumprod[t - 1]);
    const right = (xt: number[], eps: number[], t: number) => xt.map((v, k) => (v - coef(t) * eps[k]) / Math.sqrt(1 - d.betas[t - 1]));
    const wrong = (xt: number[], eps: number[], t: number) => xt.map((v, k) => v - (coef(t) * eps[k]) / Math.sqrt(1 - d.betas[t - 1]));
    expect(checkFunction("reverseMean", right, library, cases, quiet).ok).toBe(true);
    expect(checkFunction("reverseMean", wrong, library, cases, quiet).ok).toBe(false);
  });

  test("klBits: accepts the KL in bits and rejects the squared mean difference divided by var1", () => {
    const cases = randomCases(
      5,
      (u) => {
        const i = 1 + Math.floor(u() * (T - 1));
        return [Array.from({ length: 4 }, () => 2 * u() - 1), d.posteriorVariance[i], Array.from({ length: 4 }, () => 2 * u() - 1), d.betas[i]] as [
          number[],
          number,
          number[],
          number,
        ];
      },
      3,
    );
    const library = (m1: number[], v1: number, m2: number[], v2: number) =>
      normalKl(tf.tensor1d(m1), Math.log(v1), tf.tensor1d(m2), Math.log(v2)).mean().div(Math.LN2);
    const kl = (by: "var1" | "var2") => (m1: number[], v1: number, m2: number[], v2: number) =>
      m1.reduce((s, m, k) => s + 0.5 * (Math.log(v2 / v1) + v1 / v2 + (m - m2[k]) ** 2 / (by === "var2" ? v2 : v1) - 1), 0) / m1.length / Math.LN2;
    expect(checkFunction("klBits", kl("var2"), library, cases, { ...quiet, rtol: 1e-3 }).ok).toBe(true);
    expect(checkFunction("klBits", kl("var1"), library, cases, { ...quiet, rtol: 1e-3 }).ok).toBe(false);
  });
});
