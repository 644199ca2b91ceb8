/**
 * A small denoising diffusion model (DDPM, Ho et al. 2020) on 2-D points, self-contained for notebook 02.
 * (The full guided-diffusion-compatible core, used from notebook 03 on, is lib/diffusion/.)
 *
 * Forward process, beta_t fixed and growing with t:
 *   q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),   q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I),
 * with alpha_t = 1 - beta_t and abar_t = prod_{s<=t} alpha_s. An MLP eps_theta(x_t, t) learns the noise:
 *   L_simple = E_{t, x_0, eps} |eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t)|^2.
 * Reverse process (ancestral sampling), from x_T ~ N(0, I):
 *   x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_theta(x_t, t)) / sqrt(alpha_t) + sigma_t z,
 * with sigma_t^2 = beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t), the variance of q(x_{t-1} | x_t, x_0).
 *
 * Timesteps here run t = 0 .. T-1 (index 0 is the first noising step), as in guided-diffusion.
 */
import * as tf from "@tensorflow/tfjs";
import { Points } from "./data";
import { batchOf, countParams, Mlp, mlp, normalTensor, ToyGenerator, TrainOptions, trainSteps } from "./mlp";
import { makeRng, type Rng } from "../rng";

/**
 * guided-diffusion's "linear" schedule, scaled so any T covers the same noise range as T = 1000:
 * beta from 1e-4 * 1000/T to 0.02 * 1000/T.
 */
export function linearBetas(T: number): Float64Array {
  const scale = 1000 / T, lo = 1e-4 * scale, hi = 0.02 * scale;
  const b = new Float64Array(T);
  for (let t = 0; t < T; t++) b[t] = T === 1 ? lo : lo + ((hi - lo) * t) / (T - 1);
  return b;
}

/** abar_t = prod_{s<=t} (1 - beta_s). */
export function alphaBars(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let p = 1;
  for (let t = 0; t < betas.length; t++) out[t] = p *= 1 - betas[t];
  return out;
}

/** Sinusoidal embedding of (integer) timesteps: [cos(t w_i), sin(t w_i)], w_i = 10000^(-i / (dim/2)). */
export function timeEmbedding(t: tf.Tensor1D, dim: number): tf.Tensor2D {
  return tf.tidy(() => {
    const half = dim / 2;
    const freqs = tf.tensor2d(Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half)), [1, half]);
    const args = tf.mul(tf.reshape(tf.cast(t, "float32"), [-1, 1]), freqs);
    return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D;
  });
}

export interface ToyDdpm extends ToyGenerator {
  T: number;
  betas: Float64Array;
  alphaBars: Float64Array;
  net: Mlp;
  embDim: number;
  /** eps_theta(x_t, t) */
  epsilon(xt: tf.Tensor2D, t: tf.Tensor1D): tf.Tensor2D;
  /** x_t ~ q(x_t | x_0) for one t, from the closed form */
  qSample(x0: Float32Array, t: number, seed?: number): Float32Array;
  /** ancestral sampling; `keep` lists the t at which to record x_t (T = the starting noise) */
  sampleTrajectory(n: number, seed?: number, keep?: number[]): { x: Float32Array; trajectory: { t: number; x: Float32Array }[] };
}

export interface DdpmOptions {
  /** diffusion steps (default 100) */
  T?: number;
  hidden?: number;
  /** time-embedding width (default 64) */
  embDim?: number;
  seed?: number;
}

export function createDdpm(opts: DdpmOptions = {}): ToyDdpm {
  const T = opts.T ?? 100, h = opts.hidden ?? 128, embDim = opts.embDim ?? 64, seed = opts.seed ?? 0;
  const betas = linearBetas(T), abar = alphaBars(betas);
  const net = mlp([2 + embDim, h, h, h, 2], { seed, activation: "silu" });
  const model: ToyDdpm = {
    family: "Diffusion (DDPM)",
    T, betas, alphaBars: abar, net, embDim,
    history: [], seconds: 0,
    numParams: countParams(net.params),
    epsilon: (xt, t) => tf.tidy(() => net.apply(tf.concat([xt, timeEmbedding(t, embDim)], 1) as tf.Tensor2D)),
    qSample(x0, t, s = 0) {
      const rng = makeRng(s), a = Math.sqrt(abar[t]), b = Math.sqrt(1 - abar[t]);
      return Float32Array.from(x0, (v) => a * v + b * rng.normal());
    },
    sampleTrajectory(n, s = 0, keep = []) {
      const rng = makeRng(s);
      const trajectory: { t: number; x: Float32Array }[] = [];
      let x = normalTensor(n, 2, rng);
      if (keep.includes(T)) trajectory.push({ t: T, x: (x.dataSync() as Float32Array).slice() });
      for (let t = T - 1; t >= 0; t--) {
        const next = tf.tidy(() => {
          const eps = model.epsilon(x, tf.fill([n], t) as tf.Tensor1D);
          // mean = (x_t - beta_t / sqrt(1 - abar_t) * eps) / sqrt(alpha_t)
          const mean = tf.div(tf.sub(x, tf.mul(betas[t] / Math.sqrt(1 - abar[t]), eps)), Math.sqrt(1 - betas[t]));
          // variance: the posterior's beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t) ("fixed small" in guided-diffusion)
          const sigma = Math.sqrt(t > 0 ? (betas[t] * (1 - abar[t - 1])) / (1 - abar[t]) : 0);
          return (t > 0 ? tf.add(mean, tf.mul(sigma, normalTensor(n, 2, rng))) : mean) as tf.Tensor2D;
        });
        x.dispose();
        x = next;
        if (keep.includes(t)) trajectory.push({ t, x: (x.dataSync() as Float32Array).slice() });
      }
      const out = (x.dataSync() as Float32Array).slice();
      x.dispose();
      return { x: out, trajectory };
    },
    sample: (n, s = 0) => model.sampleTrajectory(n, s).x,
    dispose: () => net.dispose(),
  };
  return model;
}

/** The simple loss |eps - eps_theta(x_t, t)|^2 for a batch x0, with given t and eps. */
export function ddpmLoss(model: ToyDdpm, x0: tf.Tensor2D, t: Int32Array, eps: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const a = tf.tensor2d(Array.from(t, (s) => Math.sqrt(model.alphaBars[s])), [t.length, 1]);
    const b = tf.tensor2d(Array.from(t, (s) => Math.sqrt(1 - model.alphaBars[s])), [t.length, 1]);
    const xt = tf.add(tf.mul(a, x0), tf.mul(b, eps)) as tf.Tensor2D; // x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps
    return tf.mean(tf.square(tf.sub(eps, model.epsilon(xt, tf.tensor1d(t, "int32"))))) as tf.Scalar;
  });
}

/** Train with L_simple (t uniform over 0..T-1), Adam with cosine learning-rate decay; logs `loss`. */
export function trainDdpm(data: Points, opts: TrainOptions & DdpmOptions): ToyDdpm {
  const model = createDdpm(opts);
  const rng = makeRng((opts.seed ?? 0) + 100);
  const bs = opts.batchSize ?? 256;
  const lr = opts.lr ?? 3e-3;
  const opt = tf.train.adam(lr);
  const report = trainSteps(opts, (i) => {
    // cosine learning-rate decay to 0: the last steps average out the minibatch noise, which sharpens samples
    (opt as unknown as { learningRate: number }).learningRate = 0.5 * lr * (1 + Math.cos((Math.PI * i) / opts.steps));
    const x0 = batchOf(data, bs, rng), eps = normalTensor(bs, 2, rng);
    const t = Int32Array.from({ length: bs }, () => rng.int(model.T));
    const loss = opt.minimize(() => ddpmLoss(model, x0, t, eps), true, model.net.params)!;
    return { loss };
  });
  opt.dispose();
  model.history = report.history;
  model.seconds = report.seconds;
  return model;
}
