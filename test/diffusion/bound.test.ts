import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { calcBpdLoop, computeDiffusionTables, createGaussianDiffusion, getNamedBetaSchedule } from "../../lib/diffusion";
import { gaussianEpsModel } from "../sampling/toy-models";

beforeAll(async () => {
  await initBackend("wasm");
});

const LN2 = Math.log(2);
/** the tanh CDF of losses.py, in float64 */
const cdf = (x: number): number => 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/**
 * Data: a point mass at an 8-bit value x0 (1-D). The perfect model predicts the true eps, so its
 * posterior means are exact and every bound term is analytic:
 * L_T = KL(N(sqrt(ab) x0, 1 - ab) || N(0, 1)); for t >= 1, L_t = KL(N(mu, beta~_t) || N(mu, sigma_t^2));
 * L_0 = -log of the bin mass of N(x0, beta~_1) (the clipped log-variance at t = 0).
 */
describe.each([
  ["fixed_large", false],
  ["fixed_small", true],
] as const)("the bound of a perfect model on a point mass (%s)", (_name, sigmaSmall) => {
  test("calcBpdLoop equals the analytic value", () => {
    const d = createGaussianDiffusion({ steps: 1000, timestepRespacing: "25", sigmaSmall });
    const base = computeDiffusionTables(getNamedBetaSchedule("linear", 1000));
    const x0s = [51 / 127.5 - 1, 1];
    const T = d.numTimesteps;
    const results = x0s.map((x0) => {
      const r = tf.tidy(() => {
        const out = calcBpdLoop(d, gaussianEpsModel(base.alphasCumprod, x0, 0), tf.fill([1, 1, 1, 1], x0) as tf.Tensor4D, { seed: 3 });
        return [out.totalBpd, out.priorBpd, out.vb];
      });
      const [total, prior, vb] = r.map((x) => Array.from(x.dataSync()));
      tf.dispose(r);
      return { x0, total: total[0], prior: prior[0], vb };
    });
    for (const { x0, total, prior, vb } of results) {
      const abT = d.alphasCumprod[T - 1];
      const wantPrior = (0.5 * (-1 - Math.log(1 - abT) + (1 - abT) + abT * x0 * x0)) / LN2;
      expect(Math.abs(prior - wantPrior)).toBeLessThan(1e-6);
      let want = wantPrior;
      for (let t = T - 1; t >= 1; t--) {
        const sigma2 = sigmaSmall ? d.posteriorVariance[t] : d.betas[t];
        const kl = (0.5 * (-1 + Math.log(sigma2) - Math.log(d.posteriorVariance[t]) + d.posteriorVariance[t] / sigma2)) / LN2;
        expect(Math.abs(vb[T - 1 - t] - kl)).toBeLessThan(1e-4);
        want += kl;
      }
      const sd = Math.sqrt(d.posteriorVariance[1]);
      const mass = x0 > 0.999 ? 1 - cdf(-1 / 255 / sd) : cdf(1 / 255 / sd) - cdf(-1 / 255 / sd);
      expect(Math.abs(vb[T - 1] - -Math.log(mass) / LN2)).toBeLessThan(1e-4);
      want += -Math.log(mass) / LN2;
      expect(Math.abs(total - want)).toBeLessThan(2e-4);
    }
  });
});
