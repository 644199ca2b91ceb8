/** Shared by the engine tests: random weights everywhere (zero-initialised layers too), max abs difference. */
import * as tf from "@tensorflow/tfjs";
import type { Module } from "../../lib/nn";

/**
 * Give every parameter random values, so that no layer is skipped by a zero initialisation (the
 * output convs, proj_out and out_layers.3 start at zero): PyTorch-like uniform weights, GroupNorm
 * scales near 1, small random biases and shifts.
 */
export function randomizeParams(model: Module, seed: number): void {
  model.specs.forEach((spec, i) => {
    const v = model.params.get(spec.name)!;
    const fanIn = spec.shape.length > 1 ? spec.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
    const value = tf.tidy(() => {
      const u = tf.randomUniform(spec.shape, -1, 1, "float32", seed * 10007 + i);
      if (spec.init.kind === "ones") return tf.add(1, tf.mul(u, 0.2));
      if (spec.shape.length === 1) return tf.mul(u, 0.1);
      return tf.mul(u, spec.layout === "same" || spec.layout === "transposed" ? 1 : 1 / Math.sqrt(fanIn));
    });
    v.assign(value);
    value.dispose();
  });
}

export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}
