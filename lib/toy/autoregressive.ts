/**
 * An autoregressive model on 2-D points: the chain rule p(x) = p(x1) p(x2 | x1), each factor a
 * mixture of K Gaussians. p(x1) has free parameters; the parameters of p(x2 | x1) come from an MLP of x1:
 *
 *   p(x1) = sum_k pi_k N(x1; m_k, s_k^2),    p(x2 | x1) = sum_k pi_k(x1) N(x2; m_k(x1), s_k(x1)^2).
 *
 * The likelihood is exact, and sampling goes one coordinate at a time: x1 first, then x2 given x1.
 */
import * as tf from "@tensorflow/tfjs";
import { Points } from "./data";
import { countParams, variableOf, Mlp, mlp } from "./mlp";
import { batchOf, minimize, optimizer, ToyGenerator, TrainOptions, trainSteps } from "./train";
import { makeRng } from "../rng";

export interface Autoregressive extends ToyGenerator {
  /** mixture components per conditional */
  K: number;
  /** p(x1): logits, means and log standard deviations, each [K] */
  first: { logits: tf.Variable; means: tf.Variable; logStds: tf.Variable };
  /** x1 -> [logits, means, log stds] of p(x2 | x1), [n, 3K] */
  cond: Mlp;
  logProbTensor(x: tf.Tensor2D): tf.Tensor1D;
  logProb(x: Float32Array): Float32Array;
  /** the density p(x2 | x1) of each x2 value, for one x1 */
  conditional(x1: number, x2: number[]): number[];
}

export interface AutoregressiveOptions {
  components?: number;
  hidden?: number;
  seed?: number;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log of a 1-D Gaussian mixture at v [n, 1] with parameters [n, K] each (or broadcast [1, K]). */
export function mixtureLogProb(v: tf.Tensor2D, logits: tf.Tensor2D, means: tf.Tensor2D, logStds: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const ls = tf.clipByValue(logStds, -7, 3);
    const zsq = tf.square(tf.div(tf.sub(v, means), tf.exp(ls)));
    const logN = tf.sub(tf.mul(-0.5, zsq), tf.add(ls, HALF_LOG_2PI));
    return tf.logSumExp(tf.add(tf.logSoftmax(logits), logN), 1) as tf.Tensor1D;
  });
}

export function createAutoregressive(opts: AutoregressiveOptions = {}): Autoregressive {
  const K = opts.components ?? 8,
    h = opts.hidden ?? 64,
    seed = opts.seed ?? 0;
  const rng = makeRng(seed);
  const first = {
    logits: variableOf(new Float32Array(K), [1, K]),
    means: variableOf(rng.uniforms(K, -2, 2), [1, K]),
    logStds: variableOf(new Float32Array(K).fill(-0.5), [1, K]),
  };
  const cond = mlp([1, h, h, 3 * K], { seed: seed + 1, activation: "tanh" });
  const condParams = (x1: tf.Tensor2D) => {
    const out = cond.apply(x1);
    return { logits: out.slice([0, 0], [-1, K]), means: out.slice([0, K], [-1, K]), logStds: out.slice([0, 2 * K], [-1, K]) };
  };
  const model: Autoregressive = {
    family: "Autoregressive",
    K,
    first,
    cond,
    history: [],
    seconds: 0,
    numParams: 3 * K + countParams(cond.params),
    logProbTensor(x) {
      return tf.tidy(() => {
        const x1 = x.slice([0, 0], [-1, 1]),
          x2 = x.slice([0, 1], [-1, 1]);
        const lp1 = mixtureLogProb(x1, first.logits as tf.Tensor2D, first.means as tf.Tensor2D, first.logStds as tf.Tensor2D);
        const c = condParams(x1);
        return tf.add(lp1, mixtureLogProb(x2, c.logits, c.means, c.logStds)) as tf.Tensor1D;
      });
    },
    logProb: (x) => tf.tidy(() => model.logProbTensor(tf.tensor2d(x, [x.length / 2, 2])).dataSync() as Float32Array).slice(),
    conditional(x1, x2) {
      return tf.tidy(() => {
        const c = condParams(tf.fill([x2.length, 1], x1) as tf.Tensor2D);
        return Array.from(tf.exp(mixtureLogProb(tf.tensor2d(x2, [x2.length, 1]), c.logits, c.means, c.logStds)).dataSync());
      });
    },
    sample(n, s = 0) {
      const r = makeRng(s);
      const out = new Float32Array(2 * n);
      const pick = (w: ArrayLike<number>, off: number): number => {
        let u = r.uniform(),
          k = 0;
        while (k < K - 1 && u >= w[off + k]) u -= w[off + k++];
        return k;
      };
      // x1 ~ p(x1)
      const w1 = tf.tidy(() => tf.softmax(first.logits).dataSync());
      const m1 = first.means.dataSync(),
        s1 = tf.tidy(() => tf.exp(tf.clipByValue(first.logStds, -7, 3)).dataSync());
      const x1 = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const k = pick(w1, 0);
        x1[i] = m1[k] + s1[k] * r.normal();
      }
      // x2 ~ p(x2 | x1)
      const [w2, m2, s2] = tf.tidy(() => {
        const c = condParams(tf.tensor2d(x1, [n, 1]));
        return [tf.softmax(c.logits).dataSync(), c.means.dataSync(), tf.exp(tf.clipByValue(c.logStds, -7, 3)).dataSync()];
      });
      for (let i = 0; i < n; i++) {
        const k = pick(w2, i * K);
        out[2 * i] = x1[i];
        out[2 * i + 1] = m2[i * K + k] + s2[i * K + k] * r.normal();
      }
      return out;
    },
    dispose() {
      Object.values(first).forEach((v) => v.dispose());
      cond.dispose();
    },
  };
  return model;
}

/** Train by maximum likelihood; logs `nll` (nats/point). */
export async function trainAutoregressive(data: Points, opts: TrainOptions & AutoregressiveOptions): Promise<Autoregressive> {
  const model = createAutoregressive(opts);
  const bs = opts.batchSize ?? 256;
  const opt = optimizer([model.first.logits, model.first.means, model.first.logStds, ...model.cond.params], { lr: opts.lr ?? 3e-3 });
  const report = await trainSteps(opts, [opt], (i, rng) => {
    const x = batchOf(data, bs, rng);
    return { nll: minimize(opt, i, () => ({ loss: tf.neg(tf.mean(model.logProbTensor(x))) as tf.Scalar })).loss };
  });
  model.history = report.history;
  model.seconds = report.seconds;
  return model;
}
