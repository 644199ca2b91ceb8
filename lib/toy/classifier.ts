/**
 * The discriminative model of notebook 01: p(y=1 | x) = sigmoid(f(x)) with f an MLP (or, with no
 * hidden layer, logistic regression), trained by minimising the cross-entropy
 *
 *   L = -1/n sum_i [ y_i log p(y=1|x_i) + (1 - y_i) log(1 - p(y=1|x_i)) ].
 *
 * It learns the decision boundary and nothing about p(x).
 */
import * as tf from "@tensorflow/tfjs";
import { Points } from "./data";
import { Activation, Mlp, mlp } from "./mlp";
import { minimize, optimizer, TrainOptions, TrainReport, trainSteps } from "./train";

export interface Classifier extends TrainReport {
  net: Mlp;
  /** p(y = 1 | x) for each point */
  prob(x: Float32Array): Float32Array;
  dispose(): void;
}

/** Train a binary classifier on labelled points (labels 0/1), full batch, with Adam. */
export async function trainClassifier(data: Points, opts: TrainOptions & { hidden?: number[]; activation?: Activation }): Promise<Classifier> {
  if (!data.labels) throw new Error("trainClassifier: the points need labels");
  const net = mlp([2, ...(opts.hidden ?? [16, 16]), 1], { seed: opts.seed ?? 0, activation: opts.activation ?? "tanh" });
  const x = tf.tensor2d(data.x, [data.n, 2]);
  const y = tf.tensor2d(Float32Array.from(data.labels), [data.n, 1]);
  const opt = optimizer(net.params, { lr: opts.lr ?? 0.02 });
  const report = await trainSteps(opts, [opt], (i) => minimize(opt, i, () => ({ loss: tf.losses.sigmoidCrossEntropy(y, net.apply(x)) as tf.Scalar })));
  x.dispose();
  y.dispose();
  return {
    ...report,
    net,
    prob: (p) => tf.tidy(() => tf.sigmoid(net.apply(tf.tensor2d(p, [p.length / 2, 2]))).dataSync() as Float32Array),
    dispose: () => net.dispose(),
  };
}
