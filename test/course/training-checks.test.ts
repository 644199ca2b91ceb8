/**
 * The checkers of notebook 06 accept a right answer and reject the usual wrong ones, saying what
 * differs: the bound term without its stop-gradient or with the x_0 guess clipped, the variance
 * interpolation with v used as the fraction, swapped or with the unclipped posterior variance, and
 * the EMA update with its weights swapped or without the warm-up.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion, pMeanVariance, stopGradient, vbTermsBpd } from "../../lib/diffusion/index";
import { checkEmaUpdate, checkLearnedLogVariance, checkVlbTerm } from "../../lib/course/training-checks";

beforeAll(async () => {
  await initBackend("wasm");
});

const quiet = { display: false };
const d = createGaussianDiffusion({ steps: 1000, noiseSchedule: "cosine", learnSigma: true, rescaleLearnedSigmas: true });

describe("checkVlbTerm", () => {
  const vlb =
    ({ frozen = true, clip = false } = {}) =>
    (out: tf.Tensor4D, xStart: tf.Tensor4D, xT: tf.Tensor4D, t: tf.Tensor1D) => {
      const [eps, v] = tf.split(out, 2, 3);
      const input = tf.concat([frozen ? stopGradient(eps) : eps, v], 3) as tf.Tensor4D;
      return vbTermsBpd(d, pMeanVariance(d, input, xT, t, { clipDenoised: clip }), xStart, xT, t);
    };

  test("accepts the bound with the eps half frozen", () => {
    const r = checkVlbTerm(vlb(), d, quiet);
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/^✓ L_vlb with the mean frozen matches the library on 3 inputs/);
  });

  test("rejects the bound without the stop-gradient: same values, but a gradient on eps", () => {
    const r = checkVlbTerm(vlb({ frozen: false }), d, quiet);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/differs on case 1 of 3 .*"gradient on eps" element \[/);
    expect(r.message).toMatch(/hint: split the output into eps and v/);
  });

  test("rejects the bound with the x_0 guess clipped", () => {
    const r = checkVlbTerm(vlb({ clip: true }), d, quiet);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/"L_vlb" element \[\d\]: yours/);
  });

  test("refuses a fixed-variance diffusion, naming learnSigma", () => {
    expect(() => checkVlbTerm(vlb(), createGaussianDiffusion({ steps: 1000 }), quiet)).toThrow(/learnSigma: true/);
  });
});

describe("checkLearnedLogVariance", () => {
  /** eq. 15 by hand from the float64 tables: frac log beta + (1 - frac) log beta~ (the table named by `tilde`). */
  const byHand =
    ({ frac = (v: number) => (v + 1) / 2, swap = false, tilde = (i: number) => d.posteriorLogVarianceClipped[i] } = {}) =>
    (v: tf.Tensor4D, t: number[]) => {
      const per = v.size / t.length;
      const values = Array.from(v.dataSync(), (x, k) => {
        const i = t[Math.floor(k / per)];
        const [a, b] = swap ? [tilde(i), Math.log(d.betas[i])] : [Math.log(d.betas[i]), tilde(i)];
        return frac(x) * a + (1 - frac(x)) * b;
      });
      return tf.tensor4d(values, v.shape);
    };

  test("accepts eq. 15 computed by hand", () => {
    expect(checkLearnedLogVariance(byHand(), d, quiet).ok).toBe(true);
  });

  test("rejects v used as the fraction, the two logs swapped, and the unclipped beta~", () => {
    for (const wrong of [byHand({ frac: (v) => v }), byHand({ swap: true }), byHand({ tilde: (i) => Math.log(d.posteriorVariance[i]) })]) {
      const r = checkLearnedLogVariance(wrong, d, quiet);
      expect(r.ok).toBe(false);
      expect(r.message).toMatch(/✗ learned log-variance differs on case 1 of 3 \(v = tensor \[5, 3, 3, 1\], t = array of 5\): element \[0, /);
      expect(r.message).toMatch(/hint: the model's v is in \[-1, 1\]/);
    }
  });
});

describe("checkEmaUpdate", () => {
  const ema =
    ({ warmup = true, swap = false } = {}) =>
    (e: number[], p: number[], rate: number, step: number) => {
      const dd = warmup ? Math.min(rate, (1 + step) / (10 + step)) : rate;
      return e.map((x, k) => (swap ? (1 - dd) * x + dd * p[k] : dd * x + (1 - dd) * p[k]));
    };

  test("accepts the warmed-up update", () => {
    expect(checkEmaUpdate(ema(), quiet).ok).toBe(true);
  });

  test("rejects the weights swapped and the update without the warm-up (at step 0 the warmed-up decay is 0.1, not 0.999)", () => {
    const swapped = checkEmaUpdate(ema({ swap: true }), quiet);
    expect(swapped.ok).toBe(false);
    expect(swapped.message).toMatch(/✗ EMA update differs on case 1 of 4 \(ema = array of 6, params = array of 6, rate = 0\.999, step = 0\)/);
    const noWarmup = checkEmaUpdate(ema({ warmup: false }), quiet);
    expect(noWarmup.ok).toBe(false);
    expect(noWarmup.message).toMatch(/differs on case 1 of 4/);
  });
});

test("the checkers free every tensor they make (the diffusion's tables, made once on first use, aside)", () => {
  const run = () => {
    checkVlbTerm(
      () => {
        throw new Error("not written yet");
      },
      d,
      quiet,
    );
    checkVlbTerm((out) => out.mean([1, 2, 3]) as tf.Tensor1D, d, quiet);
    checkLearnedLogVariance((v) => v, d, quiet);
    checkEmaUpdate((e) => e, quiet);
  };
  run();
  const before = tf.memory().numTensors;
  run();
  expect(tf.memory().numTensors).toBe(before);
});
