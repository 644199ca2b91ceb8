/** nn.Embedding (guided-diffusion's `label_emb`): rows of a `[num, dim]` table picked by int labels. */
import * as tf from "@tensorflow/tfjs";
import { Params, ParamSpec, param } from "./params";

/** Spec of `<name>.weight` `[num, dim]`, PyTorch's default init N(0, 1). */
export function embeddingParams(name: string, num: number, dim: number): ParamSpec[] {
  return [{ name: `${name}.weight`, shape: [num, dim], layout: "same", init: { kind: "normal", std: 1 } }];
}

/** Look up `indices` (`[N]`, any int or float dtype holding integers) in `<name>.weight`. */
export function embedding(params: Params, name: string, indices: tf.Tensor1D): tf.Tensor2D {
  const table = param(params, `${name}.weight`);
  return tf.tidy(() => tf.gather(table, indices.toInt()) as tf.Tensor2D);
}
