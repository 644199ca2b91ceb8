import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { standardize, twoMoons, gaussianClasses, Points } from "../../lib/toy/data";
import { trainClassifier } from "../../lib/toy/classifier";
import { createFlow, trainFlow } from "../../lib/toy/flow";
import { createAutoregressive, trainAutoregressive } from "../../lib/toy/autoregressive";
import { langevin, trainEbm } from "../../lib/toy/ebm";
import { createDdpm, trainDdpm } from "../../lib/toy/ddpm";
import { trainVae } from "../../lib/toy/vae";
import { trainGan } from "../../lib/toy/gan";
import { LogEntry } from "../../lib/toy/train";
import { getNamedBetaSchedule } from "../../lib/diffusion/schedules";
import { makeRng } from "../../lib/rng";

let moons: Points;
beforeAll(async () => {
  await initBackend("wasm");
  moons = standardize(twoMoons(1000, { seed: 1 })).points;
});

/** mean of a logged loss over the first and the last `k` log entries */
function firstLast(h: LogEntry[], key: string, k = 5): [number, number] {
  const mean = (a: LogEntry[]) => a.reduce((s, e) => s + e.losses[key], 0) / a.length;
  return [mean(h.slice(0, k)), mean(h.slice(-k))];
}

describe("normalizing flow", () => {
  it("log |det J| equals the log of the numerical Jacobian determinant", () => {
    const flow = createFlow({ seed: 3, layers: 4, hidden: 16 });
    // randomise the (zero-initialised) last layers so the couplings are not the identity
    const rng = makeRng(9);
    for (const c of flow.couplings) {
      const W = c.net.params[c.net.params.length - 2];
      W.assign(tf.tensor(rng.normals(W.size), W.shape).mul(0.5));
    }
    const pts = [
      [0.3, -0.7],
      [1.2, 0.4],
      [-1.5, 2.0],
    ];
    const h = 1e-3;
    const f = (a: number, b: number) => flow.encode(new Float32Array([a, b]));
    const { logDet } = tf.tidy(() => ({ logDet: flow.forward(tf.tensor2d(pts)).logDet.arraySync() as number[] }));
    pts.forEach(([a, b], i) => {
      const dxa = [f(a + h, b), f(a - h, b)],
        dxb = [f(a, b + h), f(a, b - h)];
      const J = [
        [(dxa[0][0] - dxa[1][0]) / (2 * h), (dxb[0][0] - dxb[1][0]) / (2 * h)],
        [(dxa[0][1] - dxa[1][1]) / (2 * h), (dxb[0][1] - dxb[1][1]) / (2 * h)],
      ];
      const det = J[0][0] * J[1][1] - J[0][1] * J[1][0];
      expect(Math.abs(logDet[i] - Math.log(Math.abs(det)))).toBeLessThan(2e-2);
      expect(Math.abs(logDet[i])).toBeGreaterThan(0.05); // the test is not trivial
    });
    // and the inverse undoes the forward map
    const x = new Float32Array([0.3, -0.7, 1.2, 0.4]);
    const back = flow.decode(flow.encode(x));
    x.forEach((v, i) => expect(back[i]).toBeCloseTo(v, 4));
    flow.dispose();
  });

  it("training lowers the negative log-likelihood", async () => {
    const flow = await trainFlow(moons, { steps: 60, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(flow.history, "nll");
    expect(b).toBeLessThan(a - 0.1);
    flow.dispose();
  });
});

describe("autoregressive model", () => {
  it("p(x1) p(x2|x1) integrates to 1 over a grid", () => {
    const ar = createAutoregressive({ seed: 2, components: 4, hidden: 16 });
    const h = 0.05,
      pts: number[] = [];
    for (let x = -7; x <= 7; x += h) for (let y = -9; y <= 9; y += h) pts.push(x, y);
    const lp = ar.logProb(new Float32Array(pts));
    let total = 0;
    for (const v of lp) total += Math.exp(v) * h * h;
    expect(total).toBeCloseTo(1, 2);
    // and each conditional p(x2 | x1) integrates to 1 too
    const ys: number[] = [];
    for (let y = -12; y <= 12; y += 0.01) ys.push(y);
    expect(ar.conditional(0.5, ys).reduce((s, v) => s + v * 0.01, 0)).toBeCloseTo(1, 3);
    ar.dispose();
  });

  it("training lowers the negative log-likelihood", async () => {
    const ar = await trainAutoregressive(moons, { steps: 60, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(ar.history, "nll");
    expect(b).toBeLessThan(a - 0.1);
    expect(ar.sample(10, 1).every(Number.isFinite)).toBe(true);
    ar.dispose();
  });
});

describe("Langevin dynamics", () => {
  it("samples a known Gaussian energy with the right mean and variance", () => {
    // E(x) = |x - mu|^2 / (2 sigma^2): the stationary law is N(mu, sigma^2 I), up to O(eps) bias
    const mu = [1, -2],
      s2 = 0.25;
    const energy = (x: tf.Tensor2D) => tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(x, tf.tensor2d([mu]))), 1), 2 * s2) as tf.Tensor1D);
    const n = 4000;
    const out = langevin(energy, new Float32Array(2 * n), { steps: 400, stepSize: 0.01, seed: 5 });
    for (let d = 0; d < 2; d++) {
      let m = 0,
        v = 0;
      for (let i = 0; i < n; i++) m += out[2 * i + d] / n;
      for (let i = 0; i < n; i++) v += (out[2 * i + d] - m) ** 2 / n;
      expect(Math.abs(m - mu[d])).toBeLessThan(0.03);
      expect(Math.abs(v - s2)).toBeLessThan(0.025);
    }
  });
});

describe("trainers: the loss falls within a few steps", () => {
  it("classifier (cross-entropy)", async () => {
    const c = await trainClassifier(gaussianClasses(400, { seed: 1 }), { steps: 40, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(c.history, "loss");
    expect(b).toBeLessThan(a * 0.7);
    c.dispose();
  });

  it("VAE (negative ELBO)", async () => {
    const vae = await trainVae(moons, { steps: 60, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(vae.history, "loss");
    expect(b).toBeLessThan(a - 0.5);
    const elbo = vae.elbo(moons.x.subarray(0, 20), 2);
    expect(elbo.every(Number.isFinite)).toBe(true);
    vae.dispose();
  });

  it("GAN (the discriminator learns first)", async () => {
    // D's loss falls in the first steps, before the generator catches up and the two start to oscillate;
    // with D's optimiser updating nothing, only G would move and D's loss would rise
    const gan = await trainGan(moons, { steps: 10, seed: 0, logEvery: 1 });
    const d = gan.history.map((e) => e.losses.d);
    expect(Math.min(...d)).toBeLessThan(d[0] - 0.05); // 0.12 here; batch noise alone (lr 0) moves it by < 0.03
    expect(gan.sample(10).every(Number.isFinite)).toBe(true);
    gan.dispose();
  });

  it("EBM (contrastive divergence separates data and sample energies)", async () => {
    const ebm = await trainEbm(moons, { steps: 30, seed: 0, logEvery: 1, chains: 500, langevinSteps: 5 });
    const h = ebm.history;
    const [a, b] = firstLast(h, "loss");
    expect(b).toBeLessThan(a);
    const last = h[h.length - 1].losses;
    expect(last.eData).toBeLessThan(last.eSample);
    ebm.dispose();
  });

  it("DDPM (epsilon loss)", async () => {
    const m = await trainDdpm(moons, { steps: 80, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(m.history, "loss");
    expect(b).toBeLessThan(a * 0.8);
    const { x, trajectory } = m.sampleTrajectory(16, 1, [m.T, 50, 0]);
    expect(trajectory.map((s) => s.t)).toEqual([m.T, 50, 0]);
    expect(x.every(Number.isFinite)).toBe(true);
    m.dispose();
  });
});

describe("DDPM on the diffusion core", () => {
  it("uses guided-diffusion's linear schedule for T steps and the posterior variance beta~_t", () => {
    const m = createDdpm({ T: 100 });
    const linear = getNamedBetaSchedule("linear", 100);
    m.diffusion.betas.forEach((b, i) => expect(b).toBeCloseTo(linear[i], 14)); // (re-derived from abar by the respacing)
    expect(m.diffusion.betas[0]).toBeCloseTo(1e-3, 12); // 1e-4 and 0.02 scaled by 1000 / T
    expect(m.diffusion.betas[99]).toBeCloseTo(0.2, 12);
    expect(m.diffusion.alphasCumprod[99]).toBeLessThan(1e-4); // x_T is (almost) pure noise
    expect(m.diffusion.modelVarType).toBe("fixed_small");
    expect(m.numParams).toBe(m.net.numParams());
    m.dispose();
    // T = 20 would end at beta = 1 (abar_T = 0), where the x_0 prediction divides by zero
    expect(() => createDdpm({ T: 20 })).toThrow(/T must be an integer above 20/);
  });

  it("q(x_t | x_0) has mean sqrt(abar_t) x_0 and variance 1 - abar_t, at index t (not t +- 1)", () => {
    const m = createDdpm({ T: 100 });
    const n = 20000,
      t = 30,
      abar = m.diffusion.alphasCumprod;
    const xt = m.qSample(new Float32Array(2 * n).fill(2), t, 4);
    let mean = 0,
      v = 0;
    for (let i = 0; i < 2 * n; i++) mean += xt[i] / (2 * n);
    for (let i = 0; i < 2 * n; i++) v += (xt[i] - mean) ** 2 / (2 * n);
    // standard errors over 2n = 40000 draws: sqrt((1 - abar) / 2n) = 0.0039 for the mean, (1 - abar) sqrt(2 / 2n) = 0.0044
    // for the variance. A neighbouring timestep is 0.04 away in the mean (2 |sqrt(abar_31) - sqrt(abar_30)|) and 0.024 in
    // the variance, so a tolerance of 0.015 (about 3.5 standard errors) keeps the right index and rejects its neighbours.
    expect(2 * Math.abs(Math.sqrt(abar[t + 1]) - Math.sqrt(abar[t]))).toBeGreaterThan(0.035);
    expect(Math.abs(abar[t + 1] - abar[t])).toBeGreaterThan(0.02);
    expect(Math.abs(mean - 2 * Math.sqrt(abar[t]))).toBeLessThan(0.015);
    expect(Math.abs(v - (1 - abar[t]))).toBeLessThan(0.015);
    m.dispose();
  });

  it("training leaves no tensors behind", async () => {
    const before = tf.memory().numTensors;
    const m = await trainDdpm(moons, { steps: 5, seed: 0 });
    m.sample(8);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
