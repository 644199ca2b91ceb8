import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion, respace, spaceTimesteps, type GaussianDiffusion } from "../../lib/diffusion";
import {
  ddim,
  ddpm,
  dpmSolverPP,
  encodeDdim,
  getSampler,
  logSnrTimesteps,
  sample,
  sampleSteps,
  SAMPLERS,
  type SampleShape,
  type SamplingModel,
} from "../../lib/sampling";
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
  expect(Math.abs(mean - m)).toBeLessThan((4.5 * s) / Math.sqrt(n) + bias);
  expect(Math.abs(variance - s * s)).toBeLessThan(4.5 * s * s * Math.sqrt(2 / n) + bias);
}

/**
 * For Gaussian data the probability-flow ODE keeps z = (x - sqrt(ab) m) / sqrt(ab s^2 + 1 - ab)
 * fixed, so x_T maps to x_0 = m + s z exactly.
 */
function odeSolution(d: GaussianDiffusion, xT: tf.Tensor): tf.Tensor {
  const ab = d.alphasCumprod[d.numTimesteps - 1];
  return tf.tidy(() =>
    xT
      .sub(Math.sqrt(ab) * m)
      .div(Math.sqrt(ab * s * s + 1 - ab))
      .mul(s)
      .add(m),
  );
}

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(a.sub(b))).dataSync()[0]);

describe("samplers reproduce Gaussian data with the exact model", () => {
  // with fewer steps the fixed variances bias the sample variance: beta_t up, beta~_t down
  test("DDPM (250 steps, both fixed variances)", async () => {
    for (const sigmaSmall of [false, true]) {
      const d = createGaussianDiffusion({ steps: 1000, sigmaSmall });
      const x = await sample(ddpm, d, model, shape, { ...noClip, steps: 250, seed: 11 });
      expectDataMoments(x, 0.01);
      x.dispose();
    }
  });

  test("DDIM with eta = 1 (250 steps) and eta = 0 (100 steps)", async () => {
    for (const [steps, eta] of [
      [250, 1],
      [100, 0],
    ] as const) {
      const x = await sample(ddim, base, model, shape, { ...noClip, steps, eta, seed: 12 });
      expectDataMoments(x, 0.01);
      x.dispose();
    }
  });

  test("DPM-Solver++(2M) with 15 steps", async () => {
    const x = await sample(dpmSolverPP, base, model, shape, { ...noClip, steps: 15, seed: 13 });
    expectDataMoments(x, 0.01);
    x.dispose();
  });

  test("deterministic samplers follow the exact ODE; DPM-Solver++ beats DDIM on the same 12 timesteps and converges", async () => {
    const kept = logSnrTimesteps(base.alphasCumprod, 12);
    expect(kept[0]).toBe(0);
    expect(kept[kept.length - 1]).toBe(999);
    const d12 = respace(base, kept);
    const xT = tf.randomNormal([200, 1, 1, 1], 0, 1, "float32", 4) as tf.Tensor4D;
    const exact = odeSolution(base, xT);
    const o = { ...noClip, noise: xT };
    const dpm = await sample(dpmSolverPP, base, model, [200, 1, 1, 1], { ...o, steps: 12 });
    const dpmSpaced = await sample(dpmSolverPP, d12, model, [200, 1, 1, 1], o);
    const dpm25 = await sample(dpmSolverPP, base, model, [200, 1, 1, 1], { ...o, steps: 25 });
    const ddim12 = await sample(ddim, base, model, [200, 1, 1, 1], { ...o, steps: kept });
    const ddim250 = await sample(ddim, base, model, [200, 1, 1, 1], { ...o, steps: spaceTimesteps(1000, "250") });
    const errDpm = maxAbs(dpm, exact);
    const errDdim = maxAbs(ddim12, exact);
    expect(maxAbs(dpmSpaced, dpm)).toBeLessThan(1e-5);
    expect(errDpm).toBeLessThan(0.04);
    expect(errDpm).toBeLessThan(errDdim / 4);
    expect(maxAbs(dpm25, exact)).toBeLessThan(errDpm / 2);
    expect(maxAbs(ddim250, exact)).toBeLessThan(0.02);
    tf.dispose([xT, exact, dpm, dpmSpaced, dpm25, ddim12, ddim250]);
  });

  test("encodeDdim follows the ODE x_0 -> x_T (first-order accurate), and decoding returns x_0", async () => {
    const x0 = tf.randomNormal([100, 1, 1, 1], m, s, "float32", 9) as tf.Tensor4D;
    const errors: { encode: number; roundTrip: number }[] = [];
    for (const spacing of ["100", "400"]) {
      const d = createGaussianDiffusion({ steps: 1000, timestepRespacing: spacing });
      const xT = await encodeDdim(d, model, x0, noClip);
      const ab = d.alphasCumprod[d.numTimesteps - 1];
      const want = tf.tidy(() =>
        x0
          .sub(m)
          .div(s)
          .mul(Math.sqrt(ab * s * s + 1 - ab))
          .add(Math.sqrt(ab) * m),
      );
      const back = await sample(ddim, d, model, [100, 1, 1, 1], { ...noClip, noise: xT });
      errors.push({ encode: maxAbs(xT, want), roundTrip: maxAbs(back, x0) });
      tf.dispose([xT, want, back]);
    }
    // 4x the steps, about 1/4 of the error
    expect(errors[1].encode).toBeLessThan(errors[0].encode / 3);
    expect(errors[1].roundTrip).toBeLessThan(errors[0].roundTrip / 3);
    expect(errors[1].encode).toBeLessThan(0.04);
    expect(errors[1].roundTrip).toBeLessThan(0.03);
    x0.dispose();
  });
});

describe("the schedule is an argument of every sampler", () => {
  let xT: tf.Tensor4D;
  beforeAll(() => {
    xT = tf.randomNormal([4, 1, 1, 1], 0, 1, "float32", 21) as tf.Tensor4D;
  });
  afterAll(() => xT.dispose());

  test.each([
    ["ddpm", "25"],
    ["ddim", "ddim25"],
  ] as const)('%s with steps: 25 equals the diffusion respaced by guided-diffusion\'s "%s"', async (name, respacing) => {
    const spaced = createGaussianDiffusion({ steps: 1000, timestepRespacing: respacing });
    const a = await sample(getSampler(name), base, model, [4, 1, 1, 1], { noise: xT, steps: 25, seed: 3 });
    const b = await sample(getSampler(name), spaced, model, [4, 1, 1, 1], { noise: xT, seed: 3 });
    const c = await sample(getSampler(name), base, model, [4, 1, 1, 1], { noise: xT, steps: spaceTimesteps(1000, respacing), seed: 3 });
    expect(maxAbs(a, b)).toBeLessThan(1e-6);
    expect(maxAbs(a, c)).toBe(0);
    // and it is not the full 1000-step chain
    const full = await sample(getSampler(name), base, model, [4, 1, 1, 1], { noise: xT, seed: 3 });
    expect(maxAbs(a, full)).toBeGreaterThan(1e-4);
    tf.dispose([a, b, c, full]);
  });

  test("the callback reports the caller's timestep indices, and the model sees the original timesteps", async () => {
    const spaced = createGaussianDiffusion({ steps: 1000, timestepRespacing: "100" });
    const seenByModel: number[] = [];
    const spy: SamplingModel = { forward: (x, t, y) => (seenByModel.push(t.dataSync()[0]), model.forward(x, t, y)) };
    const reported: number[] = [];
    const x = await sample(ddim, spaced, spy, [1, 1, 1, 1], { steps: [0, 50, 99], callback: (st) => reported.push(st.t) });
    expect(reported).toEqual([99, 50, 0]);
    expect(seenByModel).toEqual([spaced.timestepMap[99], spaced.timestepMap[50], 0]);
    x.dispose();
  });
});

describe("sampler plumbing", () => {
  test("a 1000-step DDPM loop holds a constant number of live tensors; callback and progress see every step", async () => {
    (await sample(ddpm, base, model, [2, 1, 1, 1], { steps: [0, 999] })).dispose(); // the diffusion's table tensors are made on first use
    const seen: number[] = [];
    const ts: number[] = [];
    const progress: string[] = [];
    const before = tf.memory().numTensors;
    const x = await sample(ddpm, base, model, [2, 1, 1, 1], {
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

  test.each(Object.keys(SAMPLERS))("%s leaks nothing, a seed reproduces a sample and another seed changes it", async (name) => {
    const sampler = getSampler(name);
    const opts = { steps: 8, eta: sampler.extraOptions.includes("eta") ? 1 : undefined };
    (await sample(sampler, base, model, [3, 1, 1, 1], { ...opts, seed: 2 })).dispose();
    const before = tf.memory().numTensors;
    const a = await sample(sampler, base, model, [3, 1, 1, 1], { ...opts, seed: 2 });
    const b = await sample(sampler, base, model, [3, 1, 1, 1], { ...opts, seed: 2 });
    const c = await sample(sampler, base, model, [3, 1, 1, 1], { ...opts, seed: 3 });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(maxAbs(a, c)).toBeGreaterThan(1e-3);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([a, b, c]);
  });

  test("an asynchronous model gives the same samples as the same model answering at once", async () => {
    const later: SamplingModel = { forward: (x, t, y) => new Promise((resolve) => setTimeout(() => resolve(model.forward(x, t, y)), 1)) };
    for (const sampler of Object.values(SAMPLERS)) {
      const a = await sample(sampler, base, model, [3, 1, 1, 1], { steps: 6, seed: 5 });
      const b = await sample(sampler, base, later, [3, 1, 1, 1], { steps: 6, seed: 5 });
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b]);
    }
  });

  test("an AbortSignal stops the loop between steps and frees its tensors", async () => {
    (await sample(ddim, base, model, [2, 1, 1, 1], { steps: 50 })).dispose();
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let steps = 0;
    const run = sample(ddim, base, model, [2, 1, 1, 1], {
      steps: 50,
      signal: controller.signal,
      callback: () => ++steps === 3 && controller.abort(new Error("stopped by the test")),
    });
    await expect(run).rejects.toThrow("stopped by the test");
    expect(steps).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
  });

  test("breaking out of sampleSteps frees its tensors", async () => {
    (await sample(ddpm, base, model, [2, 1, 1, 1], { steps: 20 })).dispose();
    const before = tf.memory().numTensors;
    for await (const st of sampleSteps(ddpm, base, model, [2, 1, 1, 1], { steps: 20 })) if (st.i === 4) break;
    expect(tf.memory().numTensors).toBe(before);
  });

  test("bad options are named", async () => {
    const noise = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
    await expect(sample(ddpm, base, model, [3, 1, 1, 1], { noise })).rejects.toThrow(/noise shape \[2, 1, 1, 1\] must equal the sample shape \[3, 1, 1, 1\]/);
    await expect(sample(dpmSolverPP, base, model, [2, 1, 1, 1], { noise, steps: 1 })).rejects.toThrow(/dpm\+\+ needs steps >= 2/);
    await expect(sample(ddpm, base, model, [2, 1, 1, 1], { noise, eta: 1 })).rejects.toThrow(/eta applies to DDIM only/);
    await expect(sample(ddim, base, model, [2, 1, 1, 1], { noise, eta: -1 })).rejects.toThrow(/eta must be a finite number >= 0/);
    await expect(sample(ddim, base, model, [2, 1, 1, 1], { noise, steps: [5, 3] })).rejects.toThrow(/ascending distinct integers/);
    expect(() => getSampler("euler")).toThrow(/unknown sampler "euler"; use one of ddpm, ddim, dpm\+\+/);
    noise.dispose();
  });
});
