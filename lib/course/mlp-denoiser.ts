/**
 * A small eps-prediction network for 2-D points, for notebooks 04 onward: an MLP on points stored as
 * [N, 1, 1, C] "images" (so every function of lib/diffusion applies unchanged) with guided-diffusion's
 * sinusoidal timestep embedding. With `learnSigma` it outputs 2C channels, eps first, then the
 * variance interpolation v of Improved DDPM (eq. 15), as lib/diffusion expects.
 *
 *   emb   = SiLU(W_t timestepEmbedding(t) + b_t)                      time features
 *   h_0   = W_in x + b_in + emb
 *   h_k   = h_{k-1} + W_k2 SiLU(W_k1 SiLU(h_{k-1}) + b_k1 + U_k emb) + b_k2    (k = 1..depth)
 *   out   = W_out SiLU(h_depth) + b_out                                W_out starts at zero
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionModel } from "../diffusion/gaussian-diffusion";
import { makeRng, type Rng } from "../rng";
import { timestepEmbedding } from "../nn/timestep-embedding";

export interface MlpDenoiserOptions {
  /** coordinates per point C (default 2) */
  channels?: number;
  /** width of the hidden layers (default 128) */
  hidden?: number;
  /** number of residual blocks (default 3) */
  depth?: number;
  /** width of the sinusoidal timestep embedding (default 64) */
  timeDim?: number;
  /** longest period of the sinusoidal timestep embedding (default 10000, as guided-diffusion) */
  maxPeriod?: number;
  /** output 2C channels: eps and the variance interpolation v (default false) */
  learnSigma?: boolean;
  /** seed of the initial weights (default 0) */
  seed?: number;
}

/** The denoiser: a DiffusionModel whose variables are named, so lib/train can train it. */
export interface MlpDenoiser extends DiffusionModel {
  params: Map<string, tf.Variable>;
  /** unused (no dropout), present so the model fits lib/train's train(model: Pick<Module, "params" | "training">) */
  training: boolean;
  channels: number;
  learnSigma: boolean;
  /** the options it was built with (defaults filled in) */
  options: Required<MlpDenoiserOptions>;
  /** number of trainable numbers */
  numParams(): number;
  dispose(): void;
}

function glorot(rng: Rng, fanIn: number, fanOut: number): tf.Tensor2D {
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * lim;
  return tf.tensor2d(w, [fanIn, fanOut]);
}

const silu = (x: tf.Tensor2D): tf.Tensor2D => tf.mul(x, tf.sigmoid(x)) as tf.Tensor2D;

/** Build the denoiser with seeded Glorot-uniform weights (zero biases, zero output layer). */
export function createMlpDenoiser(opts: MlpDenoiserOptions = {}): MlpDenoiser {
  const c = opts.channels ?? 2;
  const hidden = opts.hidden ?? 128;
  const depth = opts.depth ?? 3;
  const timeDim = opts.timeDim ?? 64;
  const maxPeriod = opts.maxPeriod ?? 10000;
  const learnSigma = opts.learnSigma ?? false;
  const out = learnSigma ? 2 * c : c;
  for (const [k, v] of Object.entries({ channels: c, hidden, depth, timeDim })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`createMlpDenoiser: ${k} must be a positive integer; got ${v}`);
  }
  const rng = makeRng(opts.seed ?? 0);
  const params = new Map<string, tf.Variable>();
  const add = (name: string, t: tf.Tensor): void => {
    params.set(name, tf.variable(t, true));
    t.dispose();
  };
  add("time.w", glorot(rng, timeDim, hidden));
  add("time.b", tf.zeros([hidden]));
  add("in.w", glorot(rng, c, hidden));
  add("in.b", tf.zeros([hidden]));
  for (let k = 0; k < depth; k++) {
    add(`block${k}.w1`, glorot(rng, hidden, hidden));
    add(`block${k}.b1`, tf.zeros([hidden]));
    add(`block${k}.emb`, glorot(rng, hidden, hidden));
    add(`block${k}.w2`, glorot(rng, hidden, hidden));
    add(`block${k}.b2`, tf.zeros([hidden]));
  }
  add("out.w", tf.zeros([hidden, out]));
  add("out.b", tf.zeros([out]));
  const p = (name: string): tf.Tensor => params.get(name)!;
  const dense = (h: tf.Tensor2D, name: string): tf.Tensor2D => tf.matMul(h, p(`${name}.w`) as tf.Tensor2D).add(p(`${name}.b`)) as tf.Tensor2D;

  return {
    params,
    training: false,
    channels: c,
    learnSigma,
    options: { channels: c, hidden, depth, timeDim, maxPeriod, learnSigma, seed: opts.seed ?? 0 },
    forward(x: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor4D {
      const [n, h, w, ch] = x.shape;
      if (h !== 1 || w !== 1 || ch !== c) {
        throw new Error(`MlpDenoiser expects points shaped [N, 1, 1, ${c}]; got [${x.shape.join(", ")}]`);
      }
      if (t.shape[0] !== n) throw new Error(`MlpDenoiser: ${t.shape[0]} timesteps for ${n} points`);
      return tf.tidy(() => {
        const emb = silu(dense(timestepEmbedding(t, timeDim, maxPeriod), "time"));
        let hid = dense(x.reshape([n, c]) as tf.Tensor2D, "in").add(emb) as tf.Tensor2D;
        for (let k = 0; k < depth; k++) {
          const a = tf
            .matMul(silu(hid), p(`block${k}.w1`) as tf.Tensor2D)
            .add(p(`block${k}.b1`))
            .add(tf.matMul(emb, p(`block${k}.emb`) as tf.Tensor2D)) as tf.Tensor2D;
          hid = hid.add(tf.matMul(silu(a), p(`block${k}.w2`) as tf.Tensor2D).add(p(`block${k}.b2`))) as tf.Tensor2D;
        }
        return dense(silu(hid), "out").reshape([n, 1, 1, out]) as tf.Tensor4D;
      });
    },
    numParams: () => Array.from(params.values()).reduce((s, v) => s + v.size, 0),
    dispose() {
      for (const v of params.values()) v.dispose();
      params.clear();
    },
  };
}

/**
 * A copy of a trained denoiser, optionally switched to a learned variance: the eps part keeps every
 * weight, and the new v outputs start at zero (v = 0: the log-variance halfway between beta~_t and
 * beta_t). Used to fine-tune a model trained with the simple loss with the hybrid loss or the bound.
 */
export function copyMlpDenoiser(model: MlpDenoiser, opts: { learnSigma?: boolean } = {}): MlpDenoiser {
  const learnSigma = opts.learnSigma ?? model.learnSigma;
  if (model.learnSigma && !learnSigma) throw new Error("copyMlpDenoiser: cannot drop a learned variance (the copy would lose the v outputs)");
  const copy = createMlpDenoiser({ ...model.options, learnSigma });
  for (const [name, v] of copy.params) {
    const src = model.params.get(name)!;
    const widen = learnSigma && !model.learnSigma && (name === "out.w" || name === "out.b");
    tf.tidy(() => v.assign(widen ? tf.concat([src, tf.zerosLike(src)], src.rank - 1) : src));
  }
  return copy;
}
