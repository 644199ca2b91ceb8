import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion, predictEpsFromXstart, predictXstartFromEps, qMeanVariance, qPosteriorMeanVariance, qSample } from "../../lib/diffusion";
import { moments } from "../sampling/toy-models";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("q(x_t | x_0) is the iterated one-step chain", () => {
  test.each(["linear", "cosine"] as const)(
    "%s: closed-form moments equal the recursion m_t = sqrt(alpha_t) m_{t-1}, v_t = alpha_t v_{t-1} + beta_t",
    (schedule) => {
      const d = createGaussianDiffusion({ noiseSchedule: schedule });
      let m = 1;
      let v = 0;
      for (let t = 0; t < d.numTimesteps; t++) {
        m *= Math.sqrt(1 - d.betas[t]);
        v = (1 - d.betas[t]) * v + d.betas[t];
        expect(Math.abs(d.sqrtAlphasCumprod[t] - m)).toBeLessThan(1e-12);
        expect(Math.abs(1 - d.alphasCumprod[t] - v)).toBeLessThan(1e-12);
      }
    },
  );

  test("qSample matches running the chain step by step (Monte Carlo, 40000 draws)", () => {
    const d = createGaussianDiffusion({ steps: 1000, timestepRespacing: "20" });
    const n = 40000;
    const x0Value = 0.7;
    const k = 6;
    const [chain, direct] = tf.tidy(() => {
      let x = tf.fill([n, 1, 1, 1], x0Value);
      for (let t = 0; t <= k; t++) x = x.mul(Math.sqrt(1 - d.betas[t])).add(tf.randomNormal([n, 1, 1, 1], 0, 1, "float32", 100 + t).mul(Math.sqrt(d.betas[t])));
      const direct = qSample(
        d,
        tf.fill([n, 1, 1, 1], x0Value) as tf.Tensor4D,
        tf.fill([n], k, "int32") as tf.Tensor1D,
        tf.randomNormal([n, 1, 1, 1], 0, 1, "float32", 7) as tf.Tensor4D,
      );
      return [x, direct];
    });
    const wantMean = d.sqrtAlphasCumprod[k] * x0Value;
    const wantVar = 1 - d.alphasCumprod[k];
    for (const s of [moments(chain), moments(direct)]) {
      expect(Math.abs(s.mean - wantMean)).toBeLessThan(4 * Math.sqrt(wantVar / n));
      expect(Math.abs(s.variance - wantVar)).toBeLessThan(4 * wantVar * Math.sqrt(2 / n));
    }
    const q = tf.tidy(() => qMeanVariance(d, tf.fill([1, 1, 1, 1], x0Value) as tf.Tensor4D, tf.tensor1d([k], "int32")));
    expect(q.mean.dataSync()[0]).toBeCloseTo(wantMean, 6);
    expect(q.variance.dataSync()[0]).toBeCloseTo(wantVar, 6);
    expect(q.logVariance.dataSync()[0]).toBeCloseTo(Math.log(wantVar), 5);
    tf.dispose([chain, direct, q.mean, q.variance, q.logVariance]);
  });
});

describe("the posterior q(x_{t-1} | x_t, x_0) is Bayes' rule on Gaussians", () => {
  const d = createGaussianDiffusion({ steps: 1000, timestepRespacing: "50", noiseSchedule: "cosine" });

  test("coefficients: prior N(sqrt(ab_{t-1}) x0, 1 - ab_{t-1}) times likelihood N(x_t; sqrt(alpha_t) x_{t-1}, beta_t)", () => {
    for (let t = 1; t < d.numTimesteps; t++) {
      const abPrev = d.alphasCumprod[t - 1];
      const alpha = 1 - d.betas[t];
      const precision = 1 / (1 - abPrev) + alpha / d.betas[t];
      const variance = 1 / precision;
      expect(Math.abs(d.posteriorVariance[t] - variance) / variance).toBeLessThan(1e-12);
      expect(Math.abs(d.posteriorMeanCoef1[t] - (variance * Math.sqrt(abPrev)) / (1 - abPrev))).toBeLessThan(1e-12);
      expect(Math.abs(d.posteriorMeanCoef2[t] - (variance * Math.sqrt(alpha)) / d.betas[t])).toBeLessThan(1e-12);
    }
    // at t = 0 the posterior is a point mass at x_0
    expect(d.posteriorVariance[0]).toBe(0);
    expect(d.posteriorMeanCoef1[0]).toBeCloseTo(1, 12);
    expect(d.posteriorMeanCoef2[0]).toBe(0);
    expect(d.posteriorLogVarianceClipped[0]).toBe(Math.log(d.posteriorVariance[1]));
  });

  test("qPosteriorMeanVariance on tensors", () => {
    const x0 = [0.3, -0.8];
    const xt = [1.2, 0.1];
    const ts = [7, 33];
    const out = tf.tidy(() => qPosteriorMeanVariance(d, tf.tensor4d(x0, [2, 1, 1, 1]), tf.tensor4d(xt, [2, 1, 1, 1]), tf.tensor1d(ts, "int32")));
    const mean = out.mean.dataSync();
    const variance = out.variance.dataSync();
    ts.forEach((t, i) => {
      const abPrev = d.alphasCumprod[t - 1];
      const alpha = 1 - d.betas[t];
      const v = 1 / (1 / (1 - abPrev) + alpha / d.betas[t]);
      const mu = v * ((Math.sqrt(abPrev) * x0[i]) / (1 - abPrev) + (Math.sqrt(alpha) * xt[i]) / d.betas[t]);
      expect(mean[i]).toBeCloseTo(mu, 6);
      expect(variance[i]).toBeCloseTo(v, 7);
    });
    tf.dispose(out);
  });

  test("predicting x_0 from eps inverts q_sample, and eps from x_0 inverts that", () => {
    tf.tidy(() => {
      const x0 = tf.randomNormal([3, 2, 2, 1], 0, 0.5, "float32", 1) as tf.Tensor4D;
      const eps = tf.randomNormal([3, 2, 2, 1], 0, 1, "float32", 2) as tf.Tensor4D;
      const t = tf.tensor1d([0, 20, 45], "int32");
      const xt = qSample(d, x0, t, eps);
      expect(tf.max(tf.abs(predictXstartFromEps(d, xt, t, eps).sub(x0))).dataSync()[0]).toBeLessThan(1e-4);
      expect(tf.max(tf.abs(predictEpsFromXstart(d, xt, t, x0).sub(eps))).dataSync()[0]).toBeLessThan(1e-3);
    });
  });

  test("timesteps of the wrong shape or dtype are named", () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
      expect(() => qSample(d, x, tf.tensor1d([1], "int32"))).toThrow(/t must be a 1-D tensor of 2 timesteps, got shape \[1\]/);
      expect(() => qSample(d, x, tf.tensor1d([1, 2]))).toThrow(/must be int32/);
    });
  });
});
