/**
 * A tiny multilayer perceptron on tf.Variables, shared by the 2-D models of notebooks 01-02, and the
 * conversions between point arrays and tensors. Weights are initialised from the seeded Rng, so runs
 * are reproducible.
 */
import * as tf from "@tensorflow/tfjs";
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
    case "relu":
      return tf.relu(x);
    case "leakyRelu":
      return tf.leakyRelu(x, 0.2);
    case "tanh":
      return tf.tanh(x);
    case "silu":
      return tf.mul(x, tf.sigmoid(x));
    case "elu":
      return tf.elu(x);
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
    const fanIn = sizes[l],
      fanOut = sizes[l + 1];
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

/** Apply a function of [n, 2] tensors to a Float32Array of points, returning a Float32Array. */
export function mapPoints(x: Float32Array, f: (t: tf.Tensor2D) => tf.Tensor): Float32Array {
  return tf.tidy(() => f(tf.tensor2d(x, [x.length / 2, 2])).dataSync() as Float32Array).slice();
}

/** A [n, d] tensor of standard normals from the seeded Rng. */
export function normalTensor(n: number, d: number, rng: Rng): tf.Tensor2D {
  return tf.tensor2d(rng.normals(n * d), [n, d]);
}
