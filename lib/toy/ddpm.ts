/**
 * A small denoising diffusion model (DDPM, Ho et al. 2020) on 2-D points for notebook 02, on the
 * course's diffusion core: the schedule and every coefficient table come from lib/diffusion, the
 * network is lib/course's MLP denoiser (guided-diffusion's timestep embedding), and a point is an
 * [N, 1, 1, 2] "image", so the core's functions apply unchanged.
 *
 * Forward process, beta_t fixed and growing with t (guided-diffusion's "linear" schedule):
 *   q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),   q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I),
 * with alpha_t = 1 - beta_t and abar_t = prod_{s<=t} alpha_s. The network eps_theta(x_t, t) learns the noise:
 *   L_simple = E_{t, x_0, eps} |eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t)|^2.
 * Reverse process (ancestral sampling, the core's pSample), from x_T ~ N(0, I):
 *   x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_theta(x_t, t)) / sqrt(alpha_t) + sigma_t z,
 * with sigma_t^2 = beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t), the variance of q(x_{t-1} | x_t, x_0).
 *
 * Timesteps here run t = 0 .. T-1 (index 0 is the first noising step), as in guided-diffusion.
 */
import * as tf from "@tensorflow/tfjs";
import { callModel, createGaussianDiffusion, pMeanVariance, pSample, qSample, releaseTables, trainingLosses, type GaussianDiffusion } from "../diffusion/index";
import { createMlpDenoiser, type MlpDenoiser, type MlpDenoiserOptions } from "../course/mlp-denoiser";
import { makeRng, randn, type Rng } from "../rng";
import type { Points } from "./data";
import { batchOf, minimize, optimizer, ToyGenerator, TrainOptions, trainSteps } from "./train";

export interface ToyDdpm extends ToyGenerator {
  T: number;
  /** the diffusion: betas, alphasCumprod (abar_t) and the other coefficient tables, and its operations */
  diffusion: GaussianDiffusion;
  /** eps_theta(x_t, t) on points shaped [N, 1, 1, 2] */
  net: MlpDenoiser;
  /** x_t ~ q(x_t | x_0) for one t, from the closed form */
  qSample(x0: Float32Array, t: number, seed?: number): Float32Array;
  /** ancestral sampling; `keep` lists the t at which to record x_t (T = the starting noise) */
  sampleTrajectory(n: number, seed?: number, keep?: number[]): { x: Float32Array; trajectory: { t: number; x: Float32Array }[] };
}

/** The number of steps T (default 100) and the denoiser's options (default: hidden width 128, one residual block). */
export interface DdpmOptions extends Omit<MlpDenoiserOptions, "channels" | "learnSigma"> {
  T?: number;
}

/** Standard normal points as a [n, 1, 1, 2] tensor. */
const noisePoints = (n: number, rng: Rng): tf.Tensor4D => tf.tensor4d(rng.normals(2 * n), [n, 1, 1, 2]);

/** A fresh (untrained) DDPM with T steps of the linear schedule and the posterior variance beta~_t. */
export function createDdpm(opts: DdpmOptions = {}): ToyDdpm {
  const T = opts.T ?? 100;
  if (!Number.isInteger(T) || T <= 20) {
    // the linear schedule ends at beta = 20 / T: 1 at T = 20 makes abar_T = 0, and the x_0 prediction from x_T divides by zero
    throw new Error(`createDdpm: T must be an integer above 20 for the linear schedule (its last beta is 20 / T); got T = ${T}`);
  }
  const diffusion = createGaussianDiffusion({ steps: T, noiseSchedule: "linear", sigmaSmall: true });
  const net = createMlpDenoiser({ hidden: opts.hidden ?? 128, depth: opts.depth ?? 1, timeDim: opts.timeDim, maxPeriod: opts.maxPeriod, seed: opts.seed });
  const model: ToyDdpm = {
    family: "Diffusion (DDPM)",
    T,
    diffusion,
    net,
    history: [],
    seconds: 0,
    numParams: net.numParams(),
    qSample(x0, t, s = 0) {
      const n = x0.length / 2;
      return tf
        .tidy(() => {
          const xt = qSample(diffusion, tf.tensor4d(x0, [n, 1, 1, 2]), tf.fill([n], t, "int32") as tf.Tensor1D, noisePoints(n, makeRng(s)));
          return xt.dataSync() as Float32Array;
        })
        .slice();
    },
    sampleTrajectory(n, s = 0, keep = []) {
      const rng = makeRng(s);
      const trajectory: { t: number; x: Float32Array }[] = [];
      const record = (t: number, x: tf.Tensor): void => {
        if (keep.includes(t)) trajectory.push({ t, x: (x.dataSync() as Float32Array).slice() });
      };
      let x = noisePoints(n, rng);
      record(T, x);
      for (let t = T - 1; t >= 0; t--) {
        // step index t turns x_{t+1} into x_t in the seminar's numbering (x_T the noise, x_0 the sample);
        // the points are standardised, not in [-1, 1], so the x_0 prediction is not clipped
        const xt = x;
        const next = tf.tidy(() => {
          const tt = tf.fill([n], t, "int32") as tf.Tensor1D;
          const pmv = pMeanVariance(diffusion, callModel(diffusion, net, xt, tt), xt, tt, { clipDenoised: false });
          return pSample(pmv, tt, randn(xt.shape, rng) as tf.Tensor4D);
        });
        x.dispose();
        x = next;
        record(t, x);
      }
      const out = (x.dataSync() as Float32Array).slice();
      x.dispose();
      return { x: out, trajectory };
    },
    sample: (n, s = 0) => model.sampleTrajectory(n, s).x,
    dispose: () => {
      net.dispose();
      releaseTables(diffusion);
    },
  };
  return model;
}

/**
 * Train with L_simple (the core's trainingLosses: t uniform over 0..T-1, x_t = sqrt(abar_t) x_0 +
 * sqrt(1 - abar_t) eps, the squared error of the predicted eps) and Adam whose learning rate decays
 * linearly to 0, which averages out the minibatch noise of the last steps and sharpens samples.
 * Logs `loss`.
 */
export async function trainDdpm(data: Points, opts: TrainOptions & DdpmOptions): Promise<ToyDdpm> {
  const model = createDdpm(opts);
  const bs = opts.batchSize ?? 256;
  const opt = optimizer(Array.from(model.net.params.values()), { lr: opts.lr ?? 3e-3, decaySteps: opts.steps });
  const report = await trainSteps(opts, [opt], (i, rng) => {
    const x0 = batchOf(data, bs, rng).reshape([bs, 1, 1, 2]) as tf.Tensor4D;
    const t = tf.tensor1d(
      Int32Array.from({ length: bs }, () => rng.int(model.T)),
      "int32",
    );
    const noise = noisePoints(bs, rng);
    return minimize(opt, i, () => ({ loss: tf.mean(trainingLosses(model.diffusion, model.net, x0, t, { noise }).loss) as tf.Scalar }));
  });
  model.history = report.history;
  model.seconds = report.seconds;
  return model;
}
