/**
 * A variational autoencoder on 2-D points (Kingma & Welling 2014).
 *
 * Encoder q_phi(z|x) = N(mu_phi(x), diag sigma_phi(x)^2), decoder p_theta(x|z) = N(f_theta(z), diag sigma_x^2)
 * with a learned per-coordinate sigma_x, prior p(z) = N(0, I). Trained by maximising the ELBO
 *
 *   log p(x) >= E_q[log p_theta(x|z)] - KL(q_phi(z|x) || p(z)),
 *
 * with the reparameterisation z = mu + sigma * eps, eps ~ N(0, I).
 */
import * as tf from "@tensorflow/tfjs";
import { Points } from "./data";
import { countParams, variableOf, mapPoints, Mlp, mlp, normalTensor } from "./mlp";
import { batchOf, minimize, optimizer, ToyGenerator, TrainOptions, trainSteps } from "./train";
import { makeRng } from "../rng";

export interface Vae extends ToyGenerator {
  encoder: Mlp;
  decoder: Mlp;
  /** log sigma_x of the decoder's Gaussian, one per coordinate */
  logSigmaX: tf.Variable;
  zDim: number;
  /** the ELBO of each point (nats), a lower bound on log p(x), averaged over `samples` draws of z */
  elbo(x: Float32Array, samples?: number, seed?: number): Float32Array;
  /** the encoder mean mu_phi(x) of each point */
  encode(x: Float32Array): Float32Array;
  decode(z: Float32Array): Float32Array;
}

export interface VaeOptions {
  hidden?: number;
  zDim?: number;
  seed?: number;
}

/** A fresh (untrained) VAE. */
export function createVae(opts: VaeOptions = {}): Vae {
  const h = opts.hidden ?? 64,
    zDim = opts.zDim ?? 2,
    seed = opts.seed ?? 0;
  const encoder = mlp([2, h, h, 2 * zDim], { seed, activation: "relu" });
  const decoder = mlp([zDim, h, h, 2], { seed: seed + 1, activation: "relu" });
  const logSigmaX = variableOf([-1, -1], [2]);
  const vars = [...encoder.params, ...decoder.params, logSigmaX];
  const vae: Vae = {
    family: "VAE",
    encoder,
    decoder,
    logSigmaX,
    zDim,
    history: [],
    seconds: 0,
    numParams: countParams(vars),
    elbo(x, samples = 1, s = 0) {
      const rng = makeRng(s);
      const n = x.length / 2,
        out = new Float32Array(n);
      for (let k = 0; k < samples; k++) {
        const v = tf.tidy(() => {
          const { recon, kl } = vaeTerms(vae, tf.tensor2d(x, [n, 2]), normalTensor(n, zDim, rng));
          return tf.sub(recon, kl).dataSync();
        });
        for (let i = 0; i < n; i++) out[i] += v[i] / samples;
      }
      return out;
    },
    encode: (x) => mapPoints(x, (t) => encoder.apply(t).slice([0, 0], [-1, zDim])),
    decode(z) {
      return tf.tidy(() => decoder.apply(tf.tensor2d(z, [z.length / zDim, zDim])).dataSync() as Float32Array).slice();
    },
    sample(n, s = 0) {
      const rng = makeRng(s);
      return tf
        .tidy(() => {
          const mean = decoder.apply(normalTensor(n, zDim, rng));
          return tf.add(mean, tf.mul(normalTensor(n, 2, rng), tf.exp(logSigmaX))).dataSync() as Float32Array;
        })
        .slice();
    },
    dispose() {
      vars.forEach((v) => v.dispose());
    },
  };
  return vae;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The two ELBO terms for a batch, per point: the reconstruction log-likelihood log p_theta(x|z) with
 * z = mu + sigma * eps, and KL(q_phi(z|x) || N(0, I)) in closed form.
 */
export function vaeTerms(vae: Vae, x: tf.Tensor2D, eps: tf.Tensor2D): { recon: tf.Tensor1D; kl: tf.Tensor1D } {
  return tf.tidy(() => {
    const zd = vae.zDim;
    const enc = vae.encoder.apply(x);
    const mu = enc.slice([0, 0], [-1, zd]);
    const logVar = tf.clipByValue(enc.slice([0, zd], [-1, zd]), -10, 6);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)) as tf.Tensor2D;
    const xHat = vae.decoder.apply(z);
    const ls = vae.logSigmaX;
    // log N(x; xHat, sigma_x^2) = -0.5 ((x - xHat)/sigma_x)^2 - log sigma_x - 0.5 log 2 pi, summed over coordinates
    const recon = tf.sum(tf.sub(tf.mul(-0.5, tf.square(tf.div(tf.sub(x, xHat), tf.exp(ls)))), tf.add(ls, 0.5 * LOG_2PI)), 1);
    // KL(N(mu, sigma^2) || N(0, 1)) = 0.5 (mu^2 + sigma^2 - 1 - log sigma^2), summed over latent dims
    const kl = tf.mul(0.5, tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(logVar)), tf.add(logVar, 1)), 1));
    return { recon: recon as tf.Tensor1D, kl: kl as tf.Tensor1D };
  });
}

/** Train a VAE by minimising the negative ELBO with Adam. Logs `loss` (-ELBO), `recon` and `kl`. */
export async function trainVae(data: Points, opts: TrainOptions & VaeOptions): Promise<Vae> {
  const vae = createVae(opts);
  const bs = opts.batchSize ?? 256;
  const opt = optimizer([...vae.encoder.params, ...vae.decoder.params, vae.logSigmaX], { lr: opts.lr ?? 3e-3 });
  const report = await trainSteps(opts, [opt], (i, rng) => {
    const x = batchOf(data, bs, rng),
      eps = normalTensor(bs, vae.zDim, rng);
    return minimize(opt, i, () => {
      const t = vaeTerms(vae, x, eps);
      const recon = tf.mean(t.recon) as tf.Scalar,
        kl = tf.mean(t.kl) as tf.Scalar;
      return { loss: tf.neg(tf.sub(recon, kl)) as tf.Scalar, recon, kl };
    });
  });
  vae.history = report.history;
  vae.seconds = report.seconds;
  return vae;
}
