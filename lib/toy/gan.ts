/**
 * A generative adversarial network on 2-D points (Goodfellow et al. 2014), with the non-saturating
 * generator loss. Discriminator D (a logit), generator G: z -> x, z ~ N(0, I):
 *
 *   L_D = -E_x[log sigmoid(D(x))] - E_z[log(1 - sigmoid(D(G(z))))]
 *   L_G = -E_z[log sigmoid(D(G(z)))]
 *
 * There is no likelihood: a GAN only samples.
 */
import * as tf from "@tensorflow/tfjs";
import { Points } from "./data";
import { countParams, Mlp, mlp, normalTensor } from "./mlp";
import { batchOf, minimize, optimizer, ToyGenerator, TrainOptions, trainSteps } from "./train";
import { makeRng } from "../rng";

export interface Gan extends ToyGenerator {
  generator: Mlp;
  discriminator: Mlp;
  zDim: number;
  decode(z: Float32Array): Float32Array;
  /** D's probability that each point is real */
  realness(x: Float32Array): Float32Array;
}

export interface GanOptions {
  hidden?: number;
  zDim?: number;
  seed?: number;
}

export function createGan(opts: GanOptions = {}): Gan {
  const h = opts.hidden ?? 64,
    zDim = opts.zDim ?? 2,
    seed = opts.seed ?? 0;
  const generator = mlp([zDim, h, h, 2], { seed, activation: "leakyRelu" });
  const discriminator = mlp([2, h, h, 1], { seed: seed + 1, activation: "leakyRelu" });
  return {
    family: "GAN",
    generator,
    discriminator,
    zDim,
    history: [],
    seconds: 0,
    numParams: countParams(generator.params) + countParams(discriminator.params),
    decode: (z) => tf.tidy(() => generator.apply(tf.tensor2d(z, [z.length / zDim, zDim])).dataSync() as Float32Array).slice(),
    sample: (n, s = 0) => tf.tidy(() => generator.apply(normalTensor(n, zDim, makeRng(s))).dataSync() as Float32Array).slice(),
    realness: (x) => tf.tidy(() => tf.sigmoid(discriminator.apply(tf.tensor2d(x, [x.length / 2, 2]))).dataSync() as Float32Array).slice(),
    dispose() {
      generator.dispose();
      discriminator.dispose();
    },
  };
}

/**
 * L_D and the non-saturating L_G from the discriminator's logits on real points, D(x), and on
 * generated ones, D(G(z)).
 */
export function nonSaturatingLosses(dReal: tf.Tensor, dFake: tf.Tensor): { d: tf.Scalar; g: tf.Scalar } {
  return tf.tidy(() => {
    // -log sigmoid(a) = softplus(-a);  -log(1 - sigmoid(a)) = softplus(a)
    const d = tf.add(tf.mean(tf.softplus(tf.neg(dReal))), tf.mean(tf.softplus(dFake))) as tf.Scalar;
    const g = tf.mean(tf.softplus(tf.neg(dFake))) as tf.Scalar;
    return { d, g };
  });
}

/** The two GAN losses for one batch of real points and one batch of latents. */
export function ganLosses(gan: Gan, real: tf.Tensor2D, z: tf.Tensor2D): { d: tf.Scalar; g: tf.Scalar } {
  return tf.tidy(() => nonSaturatingLosses(gan.discriminator.apply(real), gan.discriminator.apply(gan.generator.apply(z))));
}

/** Alternate one discriminator step and one generator step, each with its own Adam (beta1 = 0.5). Logs `d` and `g`. */
export async function trainGan(data: Points, opts: TrainOptions & GanOptions): Promise<Gan> {
  const gan = createGan(opts);
  const bs = opts.batchSize ?? 256;
  const lr = { lr: opts.lr ?? 2e-3 };
  const optD = optimizer(gan.discriminator.params, lr, { beta1: 0.5 }),
    optG = optimizer(gan.generator.params, lr, { beta1: 0.5 });
  const report = await trainSteps(opts, [optD, optG], (i, rng) => {
    const real = batchOf(data, bs, rng);
    const zD = normalTensor(bs, gan.zDim, rng),
      zG = normalTensor(bs, gan.zDim, rng);
    const d = minimize(optD, i, () => ({ loss: ganLosses(gan, real, zD).d })).loss;
    const g = minimize(optG, i, () => ({ loss: ganLosses(gan, real, zG).g })).loss;
    return { d, g };
  });
  gan.history = report.history;
  gan.seconds = report.seconds;
  return gan;
}
