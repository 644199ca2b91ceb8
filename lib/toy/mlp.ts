/**
 * A tiny multilayer perceptron on tf.Variables, and a training-loop helper, shared by every 2-D model
 * in notebooks 01-02. Weights are initialised from the seeded Rng, so runs are reproducible.
 */
import * as tf from "@tensorflow/tfjs";
import { Points } from "./data";
import { makeRng, type Rng } from "../rng";

export type Activation = "relu" | "leakyRelu" | "tanh" | "silu" | "elu";

export interface Mlp {
  /** layer widths, input first: [2, 64, 64, 1] */
  sizes: number[];
  /** weights and biases, in layer order (W0, b0, W1, b1, ...) */
  params: tf.Variable[];
  /** the network: hidden layers use the activation, the last layer is linear */
  apply(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

export interface MlpOptions {
  activation?: Activation;
  seed?: number;
  /** start the last layer at zero (so a coupling layer or a residual starts as the identity) */
  zeroLast?: boolean;
}

export function activate(x: tf.Tensor2D, a: Activation): tf.Tensor2D {
  switch (a) {
    case "relu": return tf.relu(x);
    case "leakyRelu": return tf.leakyRelu(x, 0.2);
    case "tanh": return tf.tanh(x);
    case "silu": return tf.mul(x, tf.sigmoid(x));
    case "elu": return tf.elu(x);
  }
}

/** A trainable variable with the given values (the temporary tensor is freed). */
export function variableOf(values: Float32Array | number[], shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape)));
}

/** A fully connected network with the given layer sizes (Glorot-uniform weights, zero biases). */
export function mlp(sizes: number[], opts: MlpOptions = {}): Mlp {
  if (sizes.length < 2) throw new Error(`mlp: need at least input and output sizes, got [${sizes}]`);
  const rng = makeRng(opts.seed ?? 0);
  const act = opts.activation ?? "relu";
  const params: tf.Variable[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l], fanOut = sizes[l + 1];
    const last = l + 2 === sizes.length;
    const lim = opts.zeroLast && last ? 0 : Math.sqrt(6 / (fanIn + fanOut));
    params.push(variableOf(rng.uniforms(fanIn * fanOut, -lim, lim), [fanIn, fanOut]));
    params.push(variableOf(new Float32Array(fanOut), [fanOut]));
  }
  return {
    sizes,
    params,
    apply(x: tf.Tensor2D): tf.Tensor2D {
      return tf.tidy(() => {
        let h = x;
        for (let l = 0; l < params.length; l += 2) {
          h = tf.add(tf.matMul(h, params[l] as tf.Tensor2D), params[l + 1]) as tf.Tensor2D;
          if (l + 2 < params.length) h = activate(h, act);
        }
        return h;
      });
    },
    dispose() {
      params.forEach((p) => p.dispose());
    },
  };
}

/** Number of trainable numbers in a set of variables. */
export function countParams(vars: tf.Variable[]): number {
  return vars.reduce((s, v) => s + v.size, 0);
}

/** A random minibatch of `size` points (with replacement) as a [size, 2] tensor. */
export function batchOf(p: Points, size: number, rng: Rng): tf.Tensor2D {
  const out = new Float32Array(2 * size);
  for (let k = 0; k < size; k++) {
    const i = rng.int(p.n);
    out[2 * k] = p.x[2 * i];
    out[2 * k + 1] = p.x[2 * i + 1];
  }
  return tf.tensor2d(out, [size, 2]);
}

/** One row of the training log: the step and the named losses there. */
export interface LogEntry {
  step: number;
  losses: Record<string, number>;
}

export interface TrainOptions {
  /** optimisation steps */
  steps: number;
  /** minibatch size (default 256) */
  batchSize?: number;
  /** Adam learning rate */
  lr?: number;
  /** seeds the initialisation, the minibatches and the noise */
  seed?: number;
  /** read the losses every `logEvery` steps (default 20) and call `onLog` */
  logEvery?: number;
  /** called with the losses every `logEvery` steps, e.g. to push them to a livePlot */
  onLog?: (step: number, losses: Record<string, number>) => void;
}

/** What a trainer reports besides the model: the loss log and the wall time. */
export interface TrainReport {
  history: LogEntry[];
  seconds: number;
}

/**
 * Run `steps` training steps. `step(i)` does one update (usually `optimizer.minimize`) and returns
 * the scalars to log; they are read every `logEvery` steps and always disposed.
 */
export function trainSteps(opts: TrainOptions, step: (i: number) => Record<string, tf.Scalar>): TrainReport {
  const every = opts.logEvery ?? 20;
  const history: LogEntry[] = [];
  const t0 = Date.now();
  for (let i = 0; i < opts.steps; i++) {
    const out = tf.tidy(() => step(i));
    if (i % every === 0 || i === opts.steps - 1) {
      const losses: Record<string, number> = {};
      for (const k of Object.keys(out)) losses[k] = out[k].dataSync()[0];
      history.push({ step: i, losses });
      if (opts.onLog) opts.onLog(i, losses);
    }
    for (const k of Object.keys(out)) out[k].dispose();
  }
  return { history, seconds: (Date.now() - t0) / 1000 };
}

/** Apply a function of [n, 2] tensors to a Float32Array of points, returning a Float32Array. */
export function mapPoints(x: Float32Array, f: (t: tf.Tensor2D) => tf.Tensor): Float32Array {
  return tf.tidy(() => f(tf.tensor2d(x, [x.length / 2, 2])).dataSync() as Float32Array).slice();
}

/** What every 2-D generative model of notebook 02 offers. */
export interface ToyGenerator extends TrainReport {
  /** the family, for tables and plot titles */
  family: string;
  /** `n` new points, row-major [n, 2] */
  sample(n: number, seed?: number): Float32Array;
  /** exact log p(x) per point (nats), where the family makes it tractable (flow, autoregressive) */
  logProb?(x: Float32Array): Float32Array;
  /** the latent-to-data map z -> x (VAE decoder mean, GAN generator, flow inverse) */
  decode?(z: Float32Array): Float32Array;
  /** total number of trainable numbers */
  numParams: number;
  dispose(): void;
}

/** A [n, d] tensor of standard normals from the seeded Rng. */
export function normalTensor(n: number, d: number, rng: Rng): tf.Tensor2D {
  return tf.tensor2d(rng.normals(n * d), [n, d]);
}
