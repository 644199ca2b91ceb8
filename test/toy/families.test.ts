import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { standardize, twoMoons, gaussianClasses, Points } from "../../lib/toy/data";
import { trainClassifier } from "../../lib/toy/classifier";
import { createFlow, trainFlow } from "../../lib/toy/flow";
import { createAutoregressive, trainAutoregressive } from "../../lib/toy/autoregressive";
import { langevin, trainEbm } from "../../lib/toy/ebm";
import { alphaBars, createDdpm, linearBetas, trainDdpm } from "../../lib/toy/ddpm";
import { trainVae } from "../../lib/toy/vae";
import { trainGan } from "../../lib/toy/gan";
import { LogEntry } from "../../lib/toy/mlp";
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
    const pts = [[0.3, -0.7], [1.2, 0.4], [-1.5, 2.0]];
    const h = 1e-3;
    const f = (a: number, b: number) => flow.encode(new Float32Array([a, b]));
    const { logDet } = tf.tidy(() => ({ logDet: flow.forward(tf.tensor2d(pts)).logDet.arraySync() as number[] }));
    pts.forEach(([a, b], i) => {
      const dxa = [f(a + h, b), f(a - h, b)], dxb = [f(a, b + h), f(a, b - h)];
      const J = [[(dxa[0][0] - dxa[1][0]) / (2 * h), (dxb[0][0] - dxb[1][0]) / (2 * h)],
                 [(dxa[0][1] - dxa[1][1]) / (2 * h), (dxb[0][1] - dxb[1][1]) / (2 * h)]];
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

  it("training lowers the negative log-likelihood", () => {
    const flow = trainFlow(moons, { steps: 60, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(flow.history, "nll");
    expect(b).toBeLessThan(a - 0.1);
    flow.dispose();
  });
});

describe("autoregressive model", () => {
  it("p(x1) p(x2|x1) integrates to 1 over a grid", () => {
    const ar = createAutoregressive({ seed: 2, components: 4, hidden: 16 });
    const h = 0.05, pts: number[] = [];
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

  it("training lowers the negative log-likelihood", () => {
    const ar = trainAutoregressive(moons, { steps: 60, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(ar.history, "nll");
    expect(b).toBeLessThan(a - 0.1);
    expect(ar.sample(10, 1).every(Number.isFinite)).toBe(true);
    ar.dispose();
  });
});

describe("Langevin dynamics", () => {
  it("samples a known Gaussian energy with the right mean and variance", () => {
    // E(x) = |x - mu|^2 / (2 sigma^2): the stationary law is N(mu, sigma^2 I), up to O(eps) bias
    const mu = [1, -2], s2 = 0.25;
    const energy = (x: tf.Tensor2D) => tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(x, tf.tensor2d([mu]))), 1), 2 * s2) as tf.Tensor1D);
    const n = 4000;
    const out = langevin(energy, new Float32Array(2 * n), { steps: 400, stepSize: 0.01, seed: 5 });
    for (let d = 0; d < 2; d++) {
      let m = 0, v = 0;
      for (let i = 0; i < n; i++) m += out[2 * i + d] / n;
      for (let i = 0; i < n; i++) v += (out[2 * i + d] - m) ** 2 / n;
      expect(Math.abs(m - mu[d])).toBeLessThan(0.03);
      expect(Math.abs(v - s2)).toBeLessThan(0.025);
    }
  });
});

describe("trainers: the loss falls within a few steps", () => {
  it("classifier (cross-entropy)", () => {
    const c = trainClassifier(gaussianClasses(400, { seed: 1 }), { steps: 40, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(c.history, "loss");
    expect(b).toBeLessThan(a * 0.7);
    c.dispose();
  });

  it("VAE (negative ELBO)", () => {
    const vae = trainVae(moons, { steps: 60, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(vae.history, "loss");
    expect(b).toBeLessThan(a - 0.5);
    const elbo = vae.elbo(moons.x.subarray(0, 20), 2);
    expect(elbo.every(Number.isFinite)).toBe(true);
    vae.dispose();
  });

  it("GAN (the discriminator learns first)", () => {
    const gan = trainGan(moons, { steps: 30, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(gan.history, "d");
    expect(b).toBeLessThan(a);
    expect(gan.sample(10).every(Number.isFinite)).toBe(true);
    gan.dispose();
  });

  it("EBM (contrastive divergence separates data and sample energies)", () => {
    const ebm = trainEbm(moons, { steps: 30, seed: 0, logEvery: 1, chains: 500, langevinSteps: 5 });
    const h = ebm.history;
    const [a, b] = firstLast(h, "loss");
    expect(b).toBeLessThan(a);
    const last = h[h.length - 1].losses;
    expect(last.eData).toBeLessThan(last.eSample);
    ebm.dispose();
  });

  it("DDPM (epsilon loss)", () => {
    const m = trainDdpm(moons, { steps: 80, seed: 0, logEvery: 1 });
    const [a, b] = firstLast(m.history, "loss");
    expect(b).toBeLessThan(a * 0.8);
    const { x, trajectory } = m.sampleTrajectory(16, 1, [m.T, 50, 0]);
    expect(trajectory.map((s) => s.t)).toEqual([m.T, 50, 0]);
    expect(x.every(Number.isFinite)).toBe(true);
    m.dispose();
  });
});

describe("DDPM schedule", () => {
  it("linear betas match guided-diffusion's and abar is their running product", () => {
    const b = linearBetas(1000);
    expect(b[0]).toBeCloseTo(1e-4, 12);
    expect(b[999]).toBeCloseTo(0.02, 12);
    const b100 = linearBetas(100);
    expect(b100[0]).toBeCloseTo(1e-3, 12);
    expect(b100[99]).toBeCloseTo(0.2, 12);
    const ab = alphaBars(b100);
    expect(ab[1]).toBeCloseTo((1 - b100[0]) * (1 - b100[1]), 12);
    expect(ab[99]).toBeLessThan(1e-4); // x_T is (almost) pure noise
  });

  it("q(x_t | x_0) has mean sqrt(abar_t) x_0 and variance 1 - abar_t", () => {
    const m = createDdpm({ T: 100 });
    const n = 20000, t = 30;
    const xt = m.qSample(new Float32Array(2 * n).fill(2), t, 4);
    let mean = 0, v = 0;
    for (let i = 0; i < 2 * n; i++) mean += xt[i] / (2 * n);
    for (let i = 0; i < 2 * n; i++) v += (xt[i] - mean) ** 2 / (2 * n);
    expect(mean).toBeCloseTo(2 * Math.sqrt(m.alphaBars[t]), 1);
    expect(v).toBeCloseTo(1 - m.alphaBars[t], 1);
    m.dispose();
  });

  it("training leaves no tensors behind", () => {
    const before = tf.memory().numTensors;
    const m = trainDdpm(moons, { steps: 5, seed: 0 });
    m.sample(8);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
