/**
 * A normalizing flow on 2-D points: RealNVP affine couplings (Dinh et al. 2017).
 *
 * f maps data x to latent z = f(x) with z ~ N(0, I); by the change of variables the likelihood is exact:
 *
 *   log p(x) = log N(f(x); 0, I) + log |det df/dx|.
 *
 * Each coupling keeps one coordinate x_k and transforms the other:
 *   z_k = x_k,  z_o = x_o * exp(s(x_k)) + t(x_k),   log |det| = s(x_k),
 * and is inverted exactly: x_o = (z_o - t(z_k)) * exp(-s(z_k)). Couplings alternate k = 0, 1, 0, ...
 */
import * as tf from "@tensorflow/tfjs";
import { Points } from "./data";
import { countParams, Mlp, mlp, normalTensor } from "./mlp";
import { batchOf, minimize, optimizer, ToyGenerator, TrainOptions, trainSteps } from "./train";
import { makeRng } from "../rng";

export interface Coupling {
  /** the coordinate passed through unchanged (and fed to the network) */
  keep: 0 | 1;
  /** x_keep -> (raw scale, shift) */
  net: Mlp;
}

export interface Flow extends ToyGenerator {
  couplings: Coupling[];
  /** data -> latent: z = f(x) and log |det df/dx| per point */
  forward(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D };
  /** latent -> data: x = f^-1(z) */
  inverse(z: tf.Tensor2D): tf.Tensor2D;
  /** log p(x) as a tensor (differentiable, used for training) */
  logProbTensor(x: tf.Tensor2D): tf.Tensor1D;
  logProb(x: Float32Array): Float32Array;
  decode(z: Float32Array): Float32Array;
  /** f(x) for points */
  encode(x: Float32Array): Float32Array;
}

export interface FlowOptions {
  /** number of coupling layers (default 6) */
  layers?: number;
  hidden?: number;
  seed?: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

function column(x: tf.Tensor2D, d: number): tf.Tensor2D {
  return x.slice([0, d], [-1, 1]);
}

function join(keep: 0 | 1, kept: tf.Tensor2D, other: tf.Tensor2D): tf.Tensor2D {
  return (keep === 0 ? tf.concat([kept, other], 1) : tf.concat([other, kept], 1)) as tf.Tensor2D;
}

/** scale s in (-2, 2) (tanh keeps early training stable) and shift t from the coupling network */
function scaleShift(c: Coupling, kept: tf.Tensor2D): { s: tf.Tensor2D; t: tf.Tensor2D } {
  const out = c.net.apply(kept);
  return { s: tf.mul(2, tf.tanh(out.slice([0, 0], [-1, 1]))) as tf.Tensor2D, t: out.slice([0, 1], [-1, 1]) };
}

/** A fresh flow; every coupling starts as the identity (zero last layer). */
export function createFlow(opts: FlowOptions = {}): Flow {
  const L = opts.layers ?? 6,
    h = opts.hidden ?? 32,
    seed = opts.seed ?? 0;
  const couplings: Coupling[] = [];
  for (let l = 0; l < L; l++) {
    couplings.push({ keep: (l % 2) as 0 | 1, net: mlp([1, h, h, 2], { seed: seed + l, activation: "tanh", zeroLast: true }) });
  }
  const flow: Flow = {
    family: "Flow (RealNVP)",
    couplings,
    history: [],
    seconds: 0,
    numParams: countParams(couplings.flatMap((c) => c.net.params)),
    forward(x) {
      return tf.tidy(() => {
        let h = x;
        let logDet = tf.zeros([x.shape[0]]) as tf.Tensor1D;
        for (const c of couplings) {
          const kept = column(h, c.keep),
            other = column(h, 1 - c.keep);
          const { s, t } = scaleShift(c, kept);
          h = join(c.keep, kept, tf.add(tf.mul(other, tf.exp(s)), t) as tf.Tensor2D);
          logDet = tf.add(logDet, s.reshape([-1])) as tf.Tensor1D;
        }
        return { z: h, logDet };
      });
    },
    inverse(z) {
      return tf.tidy(() => {
        let h = z;
        for (let l = couplings.length - 1; l >= 0; l--) {
          const c = couplings[l];
          const kept = column(h, c.keep),
            other = column(h, 1 - c.keep);
          const { s, t } = scaleShift(c, kept);
          h = join(c.keep, kept, tf.mul(tf.sub(other, t), tf.exp(tf.neg(s))) as tf.Tensor2D);
        }
        return h;
      });
    },
    logProbTensor(x) {
      return tf.tidy(() => {
        const { z, logDet } = flow.forward(x);
        // log N(z; 0, I) in 2-D = -0.5 |z|^2 - log(2 pi)
        return tf.add(tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), 1)), LOG_2PI), logDet) as tf.Tensor1D;
      });
    },
    logProb: (x) => tf.tidy(() => flow.logProbTensor(tf.tensor2d(x, [x.length / 2, 2])).dataSync() as Float32Array).slice(),
    decode: (z) => tf.tidy(() => flow.inverse(tf.tensor2d(z, [z.length / 2, 2])).dataSync() as Float32Array).slice(),
    encode: (x) => tf.tidy(() => flow.forward(tf.tensor2d(x, [x.length / 2, 2])).z.dataSync() as Float32Array).slice(),
    sample: (n, s = 0) => tf.tidy(() => flow.inverse(normalTensor(n, 2, makeRng(s))).dataSync() as Float32Array).slice(),
    dispose() {
      couplings.forEach((c) => c.net.dispose());
    },
  };
  return flow;
}

/** Train a flow by maximum likelihood: minimise the negative log-likelihood, logged as `nll` (nats/point). */
export async function trainFlow(data: Points, opts: TrainOptions & FlowOptions): Promise<Flow> {
  const flow = createFlow(opts);
  const bs = opts.batchSize ?? 256;
  const opt = optimizer(
    flow.couplings.flatMap((c) => c.net.params),
    { lr: opts.lr ?? 3e-3 },
  );
  const report = await trainSteps(opts, [opt], (i, rng) => {
    const x = batchOf(data, bs, rng);
    return { nll: minimize(opt, i, () => ({ loss: tf.neg(tf.mean(flow.logProbTensor(x))) as tf.Scalar })).loss };
  });
  flow.history = report.history;
  flow.seconds = report.seconds;
  return flow;
}
