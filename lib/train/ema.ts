/**
 * Exponential moving average of the weights (ADM samples with EMA rate 0.9999):
 *   ema <- rate * ema + (1 - rate) * params
 */
import * as tf from "@tensorflow/tfjs";

/** A copy of `params` to average into. */
export function createEma(params: Map<string, tf.Variable>): Map<string, tf.Variable> {
  const ema = new Map<string, tf.Variable>();
  for (const [name, p] of params) ema.set(name, tf.variable(p.clone(), false));
  return ema;
}

/** One EMA update in place. */
export function updateEma(ema: Map<string, tf.Variable>, params: Map<string, tf.Variable>, rate: number): void {
  tf.tidy(() => {
    for (const [name, p] of params) {
      const e = ema.get(name);
      if (!e) throw new Error(`updateEma: the EMA has no parameter "${name}"`);
      e.assign(e.mul(rate).add(p.mul(1 - rate)));
    }
  });
}
