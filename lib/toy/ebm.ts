/**
 * An energy-based model on 2-D points: p_theta(x) = exp(-E_theta(x)) / Z, with Z unknown.
 *
 * Sampling uses Langevin dynamics, which needs only the gradient of the energy:
 *   x_{k+1} = x_k - (eps / 2) grad_x E(x_k) + sqrt(eps) * xi,   xi ~ N(0, I).
 * Training lowers the energy of data and raises it on the model's own samples (contrastive divergence,
 * with persistent chains as in Du & Mordatch 2019), plus a small penalty that keeps energies near 0:
 *   L = E_data[E(x)] - E_samples[E(x)] + alpha * (E_data[E(x)^2] + E_samples[E(x)^2]).
 */
import * as tf from "@tensorflow/tfjs";
import { Points } from "./data";
import { countParams, Mlp, mlp } from "./mlp";
import { batchOf, minimize, optimizer, ToyGenerator, TrainOptions, trainSteps } from "./train";
import { makeRng } from "../rng";

export interface LangevinOptions {
  /** number of Langevin steps */
  steps: number;
  /** eps, the step size (the noise has variance eps) */
  stepSize: number;
  seed?: number;
  /** called with the chain every `every` steps (and at the end), e.g. to record a trajectory */
  onStep?: (k: number, x: Float32Array) => void;
  every?: number;
}

/** One Langevin step from x with the energy's gradient g and standard normal noise xi: x - (eps / 2) g + sqrt(eps) xi. */
export function langevinStep(x: tf.Tensor2D, g: tf.Tensor2D, eps: number, xi: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.sub(x, tf.mul(eps / 2, g)), tf.mul(Math.sqrt(eps), xi)) as tf.Tensor2D);
}

/**
 * Run Langevin dynamics on an energy from starting points x0 (row-major [n, d]); returns the final points.
 */
export function langevin(energy: (x: tf.Tensor2D) => tf.Tensor1D, x0: Float32Array, opts: LangevinOptions, dim = 2): Float32Array {
  const rng = makeRng(opts.seed ?? 0);
  const n = x0.length / dim,
    eps = opts.stepSize,
    every = opts.every ?? 10;
  const gradE = tf.grad((x: tf.Tensor) => tf.sum(energy(x as tf.Tensor2D)));
  let x = tf.tensor2d(x0, [n, dim]);
  for (let k = 0; k < opts.steps; k++) {
    const next = tf.tidy(() => langevinStep(x, gradE(x) as tf.Tensor2D, eps, tf.tensor2d(rng.normals(n * dim), [n, dim])));
    x.dispose();
    x = next;
    if (opts.onStep && ((k + 1) % every === 0 || k + 1 === opts.steps)) opts.onStep(k + 1, x.dataSync() as Float32Array);
  }
  const out = x.dataSync() as Float32Array;
  x.dispose();
  return out.slice();
}

export interface Ebm extends ToyGenerator {
  net: Mlp;
  /** E_theta(x) per point */
  energyTensor(x: tf.Tensor2D): tf.Tensor1D;
  energy(x: Float32Array): Float32Array;
  /** the persistent chains at the end of training */
  buffer: Float32Array;
  /** Langevin settings used by `sample` */
  sampler: { steps: number; stepSize: number; box: number };
}

export interface EbmOptions {
  hidden?: number;
  seed?: number;
  /** Langevin steps per training step (default 20) */
  langevinSteps?: number;
  /** Langevin step size eps (default 0.01) */
  stepSize?: number;
  /** number of persistent chains (default 2000) */
  chains?: number;
  /** alpha of the energy-magnitude penalty (default 0.001) */
  alpha?: number;
}

export function createEbm(opts: EbmOptions = {}): Ebm {
  const h = opts.hidden ?? 64,
    seed = opts.seed ?? 0;
  const net = mlp([2, h, h, 1], { seed, activation: "silu" });
  const chains = opts.chains ?? 2000,
    box = 3;
  const ebm: Ebm = {
    family: "Energy-based",
    net,
    history: [],
    seconds: 0,
    numParams: countParams(net.params),
    energyTensor: (x) => tf.tidy(() => net.apply(x).reshape([-1]) as tf.Tensor1D),
    energy: (x) => tf.tidy(() => ebm.energyTensor(tf.tensor2d(x, [x.length / 2, 2])).dataSync() as Float32Array).slice(),
    buffer: makeRng(seed + 7).uniforms(2 * chains, -box, box),
    sampler: { steps: 300, stepSize: opts.stepSize ?? 0.01, box },
    sample(n, s = 0) {
      // fresh chains from uniform noise over the box
      const x0 = makeRng(s).uniforms(2 * n, -box, box);
      return langevin(ebm.energyTensor, x0, { steps: ebm.sampler.steps, stepSize: ebm.sampler.stepSize, seed: s + 1 });
    },
    dispose: () => net.dispose(),
  };
  return ebm;
}

/** Train with persistent contrastive divergence; logs `loss`, `eData` and `eSample` (mean energies). */
export async function trainEbm(data: Points, opts: TrainOptions & EbmOptions): Promise<Ebm> {
  const ebm = createEbm(opts);
  const bs = opts.batchSize ?? 256,
    K = opts.langevinSteps ?? 20,
    eps = opts.stepSize ?? 0.01,
    alpha = opts.alpha ?? 0.001;
  const chains = ebm.buffer.length / 2,
    box = ebm.sampler.box;
  const opt = optimizer(ebm.net.params, { lr: opts.lr ?? 5e-3 }, { beta1: 0.5 });
  const report = await trainSteps(opts, [opt], (i, rng) => {
    // take a batch of chains (5% restarted from noise), run K Langevin steps, write them back
    const idx = Array.from({ length: bs }, () => rng.int(chains));
    const x0 = new Float32Array(2 * bs);
    idx.forEach((j, k) => {
      const fresh = rng.uniform() < 0.05;
      x0[2 * k] = fresh ? box * (2 * rng.uniform() - 1) : ebm.buffer[2 * j];
      x0[2 * k + 1] = fresh ? box * (2 * rng.uniform() - 1) : ebm.buffer[2 * j + 1];
    });
    const xs = langevin(ebm.energyTensor, x0, { steps: K, stepSize: eps, seed: rng.seed() });
    idx.forEach((j, k) => {
      ebm.buffer[2 * j] = Math.max(-box, Math.min(box, xs[2 * k]));
      ebm.buffer[2 * j + 1] = Math.max(-box, Math.min(box, xs[2 * k + 1]));
    });
    const real = batchOf(data, bs, rng),
      fake = tf.tensor2d(xs, [bs, 2]);
    return minimize(opt, i, () => {
      const ed = ebm.energyTensor(real),
        es = ebm.energyTensor(fake);
      const eData = tf.mean(ed) as tf.Scalar,
        eSample = tf.mean(es) as tf.Scalar;
      const reg = tf.mul(alpha, tf.add(tf.mean(tf.square(ed)), tf.mean(tf.square(es))));
      return { loss: tf.add(tf.sub(eData, eSample), reg) as tf.Scalar, eData, eSample };
    });
  });
  ebm.history = report.history;
  ebm.seconds = report.seconds;
  return ebm;
}
