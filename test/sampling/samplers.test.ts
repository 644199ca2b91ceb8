import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { bindDiffusion, createGaussianDiffusion, spacedProcess, type GaussianDiffusion } from "../../lib/diffusion";
import { encodeDdim, logSnrTimesteps, sampleDdim, sampleDdpm, sampleDpmSolverPP, type SampleShape } from "../../lib/sampling";
import { gaussianEpsModel, moments } from "./toy-models";

beforeAll(async () => {
  await initBackend("wasm");
});

// data x_0 ~ N(m, s^2) per pixel; the model knows the exact E[eps | x_t]
const m = 0.3;
const s = 0.4;
const shape: SampleShape = [500, 2, 2, 1];
const base = createGaussianDiffusion({ steps: 1000 });
const model = gaussianEpsModel(base.alphasCumprod, m, s);
const noClip = { clipDenoised: false };

/** |sample mean - m| and |sample variance - s^2| within 4.5 standard errors plus a small bias allowance */
function expectDataMoments(x: tf.Tensor, bias: number): void {
  const { mean, variance, n } = moments(x);
  expect(Math.abs(mean - m)).toBeLessThan(4.5 * s / Math.sqrt(n) + bias);
  expect(Math.abs(variance - s * s)).toBeLessThan(4.5 * s * s * Math.sqrt(2 / n) + bias);
}

/**
 * For Gaussian data the probability-flow ODE keeps z = (x - sqrt(ab) m) / sqrt(ab s^2 + 1 - ab)
 * fixed, so x_T maps to x_0 = m + s z exactly.
 */
function odeSolution(d: GaussianDiffusion, xT: tf.Tensor): tf.Tensor {
  const ab = d.alphasCumprod[d.numTimesteps - 1];
  return tf.tidy(() => xT.sub(Math.sqrt(ab) * m).div(Math.sqrt(ab * s * s + 1 - ab)).mul(s).add(m));
}

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(a.sub(b))).dataSync()[0]);

describe("samplers reproduce Gaussian data with the exact model", () => {
  // with fewer steps the fixed variances bias the sample variance: beta_t up, beta~_t down
  test("DDPM (250 steps, both fixed variances)", () => {
    for (const sigmaSmall of [false, true]) {
      const d = createGaussianDiffusion({ steps: 1000, timestepRespacing: "250", sigmaSmall });
      const x = sampleDdpm(d, model, shape, { ...noClip, seed: 11 });
      expectDataMoments(x, 0.01);
      x.dispose();
    }
  });

  test("DDIM with eta = 1 (250 steps) and eta = 0 (100 steps)", () => {
    for (const [spacing, eta] of [["250", 1], ["100", 0]] as const) {
      const d = createGaussianDiffusion({ steps: 1000, timestepRespacing: spacing });
      const x = sampleDdim(d, model, shape, { ...noClip, eta, seed: 12 });
      expectDataMoments(x, 0.01);
      x.dispose();
    }
  });

  test("DPM-Solver++(2M) with 15 steps", () => {
    const x = sampleDpmSolverPP(base, model, shape, { ...noClip, steps: 15, seed: 13 });
    expectDataMoments(x, 0.01);
    x.dispose();
  });

  test("deterministic samplers follow the exact ODE; DPM-Solver++ beats DDIM on the same 12 timesteps and converges", () => {
    const kept = logSnrTimesteps(base.alphasCumprod, 12);
    expect(kept[0]).toBe(0);
    expect(kept[kept.length - 1]).toBe(999);
    const d12 = bindDiffusion(spacedProcess(base.betas, kept, base));
    const xT = tf.randomNormal([200, 1, 1, 1], 0, 1, "float32", 4) as tf.Tensor4D;
    const exact = odeSolution(base, xT);
    const o = { ...noClip, noise: xT };
    const dpm = sampleDpmSolverPP(base, model, [200, 1, 1, 1], { ...o, steps: 12 });
    const dpmSpaced = sampleDpmSolverPP(d12, model, [200, 1, 1, 1], o);
    const dpm25 = sampleDpmSolverPP(base, model, [200, 1, 1, 1], { ...o, steps: 25 });
    const ddim = sampleDdim(d12, model, [200, 1, 1, 1], o);
    const ddim250 = sampleDdim(createGaussianDiffusion({ steps: 1000, timestepRespacing: "250" }), model, [200, 1, 1, 1], o);
    const errDpm = maxAbs(dpm, exact);
    const errDdim = maxAbs(ddim, exact);
    expect(maxAbs(dpmSpaced, dpm)).toBeLessThan(1e-5);
    expect(errDpm).toBeLessThan(0.04);
    expect(errDpm).toBeLessThan(errDdim / 4);
    expect(maxAbs(dpm25, exact)).toBeLessThan(errDpm / 2);
    expect(maxAbs(ddim250, exact)).toBeLessThan(0.02);
    tf.dispose([xT, exact, dpm, dpmSpaced, dpm25, ddim, ddim250]);
  });

  test("encodeDdim follows the ODE x_0 -> x_T (first-order accurate), and decoding returns x_0", () => {
    const x0 = tf.randomNormal([100, 1, 1, 1], m, s, "float32", 9) as tf.Tensor4D;
    const errors = ["100", "400"].map((spacing) => {
      const d = createGaussianDiffusion({ steps: 1000, timestepRespacing: spacing });
      const xT = encodeDdim(d, model, x0, noClip);
      const ab = d.alphasCumprod[d.numTimesteps - 1];
      const want = tf.tidy(() => x0.sub(m).div(s).mul(Math.sqrt(ab * s * s + 1 - ab)).add(Math.sqrt(ab) * m));
      const back = sampleDdim(d, model, [100, 1, 1, 1], { ...noClip, noise: xT });
      const errs = { encode: maxAbs(xT, want), roundTrip: maxAbs(back, x0) };
      tf.dispose([xT, want, back]);
      return errs;
    });
    // 4x the steps, about 1/4 of the error
    expect(errors[1].encode).toBeLessThan(errors[0].encode / 3);
    expect(errors[1].roundTrip).toBeLessThan(errors[0].roundTrip / 3);
    expect(errors[1].encode).toBeLessThan(0.04);
    expect(errors[1].roundTrip).toBeLessThan(0.03);
    x0.dispose();
  });
});

describe("sampler plumbing", () => {
  test("a 1000-step DDPM loop holds a constant number of live tensors; callback and progress see every step", () => {
    const seen: number[] = [];
    const ts: number[] = [];
    const progress: string[] = [];
    const before = tf.memory().numTensors;
    const x = sampleDdpm(base, model, [2, 1, 1, 1], {
      seed: 1,
      callback: ({ i, t, total, x, predXstart }) => {
        seen.push(tf.memory().numTensors);
        ts.push(t);
        expect(i).toBe(ts.length - 1);
        expect(total).toBe(1000);
        expect(x.shape).toEqual([2, 1, 1, 1]);
        expect(predXstart.shape).toEqual([2, 1, 1, 1]);
      },
      progress: (done, total) => progress.push(`${done}/${total}`),
    });
    expect(seen).toHaveLength(1000);
    expect(new Set(seen.slice(1)).size).toBe(1);
    expect(ts).toEqual(Array.from({ length: 1000 }, (_, k) => 999 - k));
    expect(progress[0]).toBe("1/1000");
    expect(progress[999]).toBe("1000/1000");
    expect(tf.memory().numTensors).toBe(before + 1);
    x.dispose();
  });

  test("DDIM and DPM-Solver++ loops leak nothing, and a seed reproduces a sample", () => {
    const d = createGaussianDiffusion({ steps: 1000, timestepRespacing: "30" });
    const before = tf.memory().numTensors;
    const a = sampleDdim(d, model, [3, 1, 1, 1], { seed: 2, eta: 1 });
    const b = sampleDdim(d, model, [3, 1, 1, 1], { seed: 2, eta: 1 });
    const c = sampleDpmSolverPP(d, model, [3, 1, 1, 1], { seed: 2, steps: 8 });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([a, b, c]);
  });

  test("a noise of the wrong shape is named", () => {
    const noise = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
    expect(() => sampleDdpm(base, model, [3, 1, 1, 1], { noise })).toThrow(/noise shape \[2, 1, 1, 1\] must equal the sample shape \[3, 1, 1, 1\]/);
    expect(() => sampleDpmSolverPP(base, model, [3, 1, 1, 1], { noise })).toThrow(/noise shape/);
    expect(() => sampleDpmSolverPP(base, model, [2, 1, 1, 1], { noise, steps: 1 })).toThrow(/steps >= 2/);
    noise.dispose();
  });
});
