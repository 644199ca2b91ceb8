/**
 * Timestep samplers for training (guided-diffusion's resample.py): draw t from a distribution over
 * timesteps and return importance weights 1 / (T p(t)) that keep the loss unbiased.
 */
import * as tf from "@tensorflow/tfjs";
import { makeRng, type Rng } from "../rng";

/** A distribution over the timesteps of a diffusion. */
export interface ScheduleSampler {
  /** unnormalised positive weight of each timestep */
  weights(): Float64Array;
  /** `batchSize` int32 timesteps and their float32 importance weights, drawn from `rng` when given */
  sample(batchSize: number, rng?: Rng): { timesteps: tf.Tensor1D; weights: tf.Tensor1D };
}

/** Options of the samplers: a seed makes the draws reproducible (Math.random otherwise). */
export interface ScheduleSamplerOptions {
  seed?: number;
}

/** Draw indices with probability proportional to w (inverse CDF, as numpy's choice) and weight them. */
function importanceSample(w: Float64Array, batchSize: number, rng: Rng | undefined): { timesteps: tf.Tensor1D; weights: tf.Tensor1D } {
  const cdf = new Float64Array(w.length);
  let total = 0;
  for (let i = 0; i < w.length; i++) cdf[i] = total += w[i];
  const idx = new Int32Array(batchSize);
  const weights = new Float32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    const u = (rng ? rng.uniform() : Math.random()) * total;
    let lo = 0;
    let hi = w.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    idx[b] = lo;
    weights[b] = 1 / (w.length * (w[lo] / total));
  }
  return { timesteps: tf.tensor1d(idx, "int32"), weights: tf.tensor1d(weights) };
}

/** Every timestep equally likely; all weights 1. */
export class UniformSampler implements ScheduleSampler {
  private readonly rng: Rng | undefined;
  private readonly w: Float64Array;

  constructor(diffusion: { numTimesteps: number }, opts: ScheduleSamplerOptions = {}) {
    this.w = new Float64Array(diffusion.numTimesteps).fill(1);
    this.rng = opts.seed === undefined ? undefined : makeRng(opts.seed);
  }

  weights(): Float64Array {
    return this.w;
  }

  sample(batchSize: number, rng?: Rng): { timesteps: tf.Tensor1D; weights: tf.Tensor1D } {
    return importanceSample(this.w, batchSize, rng ?? this.rng);
  }
}

/** Options of {@link LossSecondMomentResampler}. */
export interface LossSecondMomentOptions extends ScheduleSamplerOptions {
  /** losses remembered per timestep (default 10) */
  historyPerTerm?: number;
  /** probability mass spread uniformly so every t stays possible (default 0.001) */
  uniformProb?: number;
}

/**
 * Importance sampling of the bound (Improved DDPM, eq. 18): p(t) proportional to sqrt(E[L_t^2]),
 * uniform until every timestep has `historyPerTerm` recorded losses.
 */
export class LossSecondMomentResampler implements ScheduleSampler {
  readonly historyPerTerm: number;
  readonly uniformProb: number;
  private readonly numTimesteps: number;
  private readonly history: Float64Array[];
  private readonly counts: Int32Array;
  private readonly rng: Rng | undefined;

  constructor(diffusion: { numTimesteps: number }, opts: LossSecondMomentOptions = {}) {
    this.numTimesteps = diffusion.numTimesteps;
    this.historyPerTerm = opts.historyPerTerm ?? 10;
    this.uniformProb = opts.uniformProb ?? 0.001;
    this.history = Array.from({ length: this.numTimesteps }, () => new Float64Array(this.historyPerTerm));
    this.counts = new Int32Array(this.numTimesteps);
    this.rng = opts.seed === undefined ? undefined : makeRng(opts.seed);
  }

  /** true once every timestep has a full loss history */
  warmedUp(): boolean {
    return this.counts.every((c) => c === this.historyPerTerm);
  }

  weights(): Float64Array {
    if (!this.warmedUp()) return new Float64Array(this.numTimesteps).fill(1);
    const w = this.history.map((h) => Math.sqrt(h.reduce((s, l) => s + l * l, 0) / h.length));
    const sum = w.reduce((s, v) => s + v, 0);
    return Float64Array.from(w, (v) => (v / sum) * (1 - this.uniformProb) + this.uniformProb / w.length);
  }

  sample(batchSize: number, rng?: Rng): { timesteps: tf.Tensor1D; weights: tf.Tensor1D } {
    return importanceSample(this.weights(), batchSize, rng ?? this.rng);
  }

  /** The loss history, JSON-able, so a resumed training run samples exactly as an uninterrupted one. */
  saveState(): { history: number[][]; counts: number[] } {
    return { history: this.history.map((h) => Array.from(h)), counts: Array.from(this.counts) };
  }

  /** Restore a history saved by {@link saveState}. */
  loadState(state: { history: number[][]; counts: number[] }): void {
    if (state.history.length !== this.numTimesteps || state.counts.length !== this.numTimesteps) {
      throw new Error(`LossSecondMomentResampler.loadState: the saved history has ${state.history.length} timesteps, this diffusion has ${this.numTimesteps}`);
    }
    state.history.forEach((h, t) => this.history[t].set(h));
    this.counts.set(state.counts);
  }

  /** Record one loss per timestep, shifting out the oldest once a history is full. */
  updateWithAllLosses(ts: ArrayLike<number>, losses: ArrayLike<number>): void {
    if (ts.length !== losses.length) throw new Error(`updateWithAllLosses needs one loss per timestep; got ${ts.length} timesteps and ${losses.length} losses`);
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i];
      if (!Number.isInteger(t) || t < 0 || t >= this.numTimesteps) throw new Error(`timestep ${t} is outside 0..${this.numTimesteps - 1}`);
      const h = this.history[t];
      if (this.counts[t] === this.historyPerTerm) {
        h.copyWithin(0, 1);
        h[this.historyPerTerm - 1] = losses[i];
      } else {
        h[this.counts[t]++] = losses[i];
      }
    }
  }

  /** {@link updateWithAllLosses} from tensors (reads them synchronously). */
  updateWithLocalLosses(ts: tf.Tensor1D, losses: tf.Tensor1D): void {
    this.updateWithAllLosses(ts.dataSync(), losses.dataSync());
  }
}

/** guided-diffusion's create_named_schedule_sampler: "uniform" or "loss-second-moment". */
export function createNamedScheduleSampler(
  name: "uniform" | "loss-second-moment",
  diffusion: { numTimesteps: number },
  opts: ScheduleSamplerOptions = {},
): ScheduleSampler {
  if (name === "uniform") return new UniformSampler(diffusion, opts);
  if (name === "loss-second-moment") return new LossSecondMomentResampler(diffusion, opts);
  throw new Error(`unknown schedule sampler "${name as string}"; use "uniform" or "loss-second-moment"`);
}
