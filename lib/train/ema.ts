/**
 * Exponential moving average of the weights (ADM samples with EMA rate 0.9999):
 *   ema <- d * ema + (1 - d) * params,   d = min(rate, (1 + k) / (10 + k)) after k updates
 * The warm-up of d (as TensorFlow's ExponentialMovingAverage with num_updates) lets short runs'
 * averages forget the random initialisation: with d = 0.999 fixed, 82% of the average after 200
 * steps would still be the initial weights. guided-diffusion uses d = rate throughout; for the long
 * runs it makes, the two agree after about 10/(1 - rate) steps.
 */
import * as tf from "@tensorflow/tfjs";

/** A copy of `params` to average into. */
export function createEma(params: Map<string, tf.Variable>): Map<string, tf.Variable> {
  const ema = new Map<string, tf.Variable>();
  for (const [name, p] of params)
    ema.set(
      name,
      tf.tidy(() => tf.variable(p.clone(), false)),
    );
  return ema;
}

/** The decay d used at update number `step` (0-based, k above) for a target `rate`. */
export function emaDecay({ rate, step }: { rate: number; step: number }): number {
  return Math.min(rate, (1 + step) / (10 + step));
}

/** One EMA update in place, with decay `rate` (pass emaDecay({ rate, step }) for the warm-up). */
export function updateEma(ema: Map<string, tf.Variable>, params: Map<string, tf.Variable>, rate: number): void {
  tf.tidy(() => {
    for (const [name, p] of params) {
      const e = ema.get(name);
      if (!e) throw new Error(`updateEma: the EMA has no parameter "${name}"`);
      e.assign(e.mul(rate).add(p.mul(1 - rate)));
    }
  });
}
