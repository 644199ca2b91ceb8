/**
 * Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019) with its state held by parameter name,
 * so it can be saved in a checkpoint and restored exactly. guided-diffusion trains with AdamW
 * (weight decay 0 by default), which is what `weightDecay` gives.
 */
import * as tf from "@tensorflow/tfjs";

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** decoupled weight decay (AdamW): p <- p - lr * wd * p before the Adam update */
  weightDecay?: number;
}

/** First and second moment estimates per parameter name, and the step count. */
export interface AdamState {
  step: number;
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
}

/** Fresh (zero) moments for `params`. */
export function createAdamState(params: Map<string, tf.Variable>): AdamState {
  const m = new Map<string, tf.Variable>(),
    v = new Map<string, tf.Variable>();
  for (const [name, p] of params) {
    // tidy frees the zeros the variables were made from (a variable keeps its own reference to the data)
    m.set(
      name,
      tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
    );
    v.set(
      name,
      tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
    );
  }
  return { step: 0, m, v };
}

/**
 * One Adam step at learning rate `lr`, in place:
 *   m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2
 *   p <- p - lr * (m / (1-b1^k)) / (sqrt(v / (1-b2^k)) + eps)      (Algorithm 1 of Kingma & Ba)
 */
export function adamStep(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, state: AdamState, lr: number, opts: AdamOptions = {}): void {
  const b1 = opts.beta1 ?? 0.9,
    b2 = opts.beta2 ?? 0.999,
    eps = opts.epsilon ?? 1e-8,
    wd = opts.weightDecay ?? 0;
  state.step += 1;
  const c1 = 1 - Math.pow(b1, state.step),
    c2 = 1 - Math.pow(b2, state.step);
  tf.tidy(() => {
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) continue; // a parameter that did not take part in this loss (e.g. an unused class row) keeps its moments
      const m = state.m.get(name)!,
        v = state.v.get(name)!;
      m.assign(m.mul(b1).add(g.mul(1 - b1)));
      v.assign(v.mul(b2).add(g.square().mul(1 - b2)));
      let next = p.sub(m.div(c1).div(v.div(c2).sqrt().add(eps)).mul(lr));
      if (wd > 0) next = next.sub(p.mul(lr * wd));
      p.assign(next);
    }
  });
}

/** Release the moment variables. */
export function disposeAdamState(state: AdamState): void {
  for (const t of state.m.values()) t.dispose();
  for (const t of state.v.values()) t.dispose();
}
