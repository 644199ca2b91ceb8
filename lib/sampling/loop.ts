/**
 * The one sampling loop every sampler runs on (in the spirit of k-diffusion): a sampler is a short
 * step function; the loop picks its timesteps, draws x_T, calls the step from t = T-1 down to 0,
 * owns and disposes every tensor, reports each step, and stops between steps when asked. A step
 * whose sample is NaN or Inf ends the run with a NonFiniteSampleError naming the step and the cause.
 *
 * Model calls are asynchronous here and only here (`denoiser`): a model whose forward returns a
 * Promise (an engine in a worker thread) and a tfjs model that answers at once run the same code.
 */
import * as tf from "@tensorflow/tfjs";
import {
  conditionMean,
  conditionScore,
  makeRng,
  modelTimesteps,
  pMeanVariance,
  randn,
  respace,
  checkModelOutput,
  type CondFn,
  type DenoisedFn,
  type GaussianDiffusion,
  type ModelKwargs,
  type PMeanVariance,
  type Rng,
} from "../diffusion/index";
import { withKernelInterrupt } from "./interrupt";

/** NHWC sample shape. */
export type SampleShape = [number, number, number, number];

/**
 * A model as samplers see it: a tfjs model that answers at once, or one that answers later (an
 * engine in a worker thread), which may stop waiting when the loop's `signal` aborts.
 */
export interface SamplingModel {
  forward(x: tf.Tensor4D, t: tf.Tensor1D, y?: tf.Tensor1D, opts?: { signal?: AbortSignal }): tf.Tensor4D | Promise<tf.Tensor4D>;
}

/**
 * What the loop reports after each step: the new sample x, the step number i (0-based, in the order
 * taken) of `total`, the timestep index t of the caller's diffusion that was denoised, and the x_0
 * prediction made at t. The tensors are disposed when the loop moves on: copy what you keep.
 */
export interface SamplerStep {
  x: tf.Tensor4D;
  i: number;
  total: number;
  t: number;
  predXstart: tf.Tensor4D;
}

/** Options every sampler accepts. */
export interface SampleOptions {
  /**
   * the schedule: a number of steps (spaced the sampler's way: DDPM evenly, DDIM by the integer
   * stride "ddimN", DPM-Solver++ evenly in log-SNR), or the timestep indices of the diffusion to
   * visit; default: every timestep of the diffusion
   */
  steps?: number | number[];
  /** x_T to start from (the caller keeps ownership); drawn when absent */
  noise?: tf.Tensor4D;
  /** seed for x_T and all step noise; Math.random when absent */
  seed?: number;
  /** clamp x_0 predictions to [-1, 1] (default true) */
  clipDenoised?: boolean;
  /** applied to x_0 predictions before clipping */
  denoisedFn?: DenoisedFn;
  /** class labels for conditional models and for classifier guidance */
  modelKwargs?: ModelKwargs;
  /** classifier guidance gradient s grad_x log p(y | x_t), e.g. from classifierCondFn */
  condFn?: CondFn;
  /** DDIM's eta (default 0, deterministic; 1 matches the DDPM posterior variance); DDIM only */
  eta?: number;
  /** called after each step with the number of steps done and the total */
  progress?: (done: number, total: number) => void;
  /** called after each step with the step's tensors */
  callback?: (step: SamplerStep) => void;
  /**
   * stops the loop between steps, and a pending model or condFn call that honours it (the promise
   * rejects with the signal's reason); inside a tslab kernel a kernel interrupt stops it as well
   */
  signal?: AbortSignal;
}

/** The model at (x, t), as p(x_{t-1} | x_t) and its x_0 prediction, guided by Algorithm 1 ("mean") or 2 ("score"). */
export type Denoiser = (x: tf.Tensor4D, t: tf.Tensor1D, guidance?: "mean" | "score") => Promise<PMeanVariance>;

/** Run f inside an engine scope that keeps its result; a Promise result owns its own tensors. */
async function scoped<T extends tf.Tensor>(f: () => T | Promise<T>): Promise<T> {
  const engine = tf.engine();
  engine.startScope();
  let result: T | Promise<T>;
  try {
    result = f();
  } catch (e) {
    engine.endScope();
    throw e;
  }
  if (result instanceof Promise) {
    engine.endScope();
    return result;
  }
  engine.endScope(result);
  return result;
}

/**
 * The denoiser of a model on a diffusion: calls the model at the timesteps it was trained on, forms
 * p(x_{t-1} | x_t) (predXstart is x_0), and applies classifier guidance when `condFn` is set and
 * the sampler asks for it. The caller owns the returned tensors.
 */
export function denoiser(
  d: GaussianDiffusion,
  model: SamplingModel,
  opts: Pick<SampleOptions, "clipDenoised" | "denoisedFn" | "modelKwargs" | "condFn" | "signal"> = {},
): Denoiser {
  const kwargs = opts.modelKwargs ?? {};
  const call = { signal: opts.signal };
  return async (x, t, guidance) => {
    const timesteps = modelTimesteps(d, t);
    try {
      const out = await scoped(() => model.forward(x, timesteps, kwargs.y, call));
      if (!(await isAllFinite(out))) {
        out.dispose();
        // caught by the loop, which adds the step; x_0 clipping would otherwise turn NaN into a plain black image
        throw new NonFiniteSampleError("the model's output is NaN or Inf: check its weights (one NaN weight makes every output NaN) and its inputs", -1, -1);
      }
      let pmv: PMeanVariance;
      try {
        checkModelOutput(d, x, out);
        pmv = pMeanVariance(d, out, x, t, opts);
      } finally {
        out.dispose();
      }
      if (!guidance || !opts.condFn) return pmv;
      const condFn = opts.condFn;
      const gradient = await scoped(() => condFn(x, timesteps, kwargs, call));
      const guided = guidance === "mean" ? conditionMean(pmv, gradient) : conditionScore(d, pmv, x, t, gradient);
      tf.dispose([gradient, ...Object.values(pmv).filter((v) => !Object.values(guided).includes(v))]);
      return guided;
    } finally {
      timesteps.dispose();
    }
  };
}

/** What a step sees: the process being run, x at index t of it, and helpers whose tensors the loop disposes. */
export interface StepContext {
  /** the diffusion respaced to the schedule: the step goes from index t to t - 1 of it */
  d: GaussianDiffusion;
  x: tf.Tensor4D;
  /** the index t, once per batch item (int32) */
  t: tf.Tensor1D;
  index: number;
  /** the previous step's index and x_0 prediction (multistep solvers) */
  prev?: { index: number; predXstart: tf.Tensor4D };
  /** DDIM's eta */
  eta: number;
  /** the denoiser at (x, t), guided with Algorithm 1 ("mean") or 2 ("score") when guidance is on */
  denoise(guidance?: "mean" | "score"): Promise<PMeanVariance>;
  /** standard normal noise shaped like x, from the loop's seeded stream */
  noise(): tf.Tensor4D;
}

/** A sampler: its name, how it spaces a number of steps, and one step x_t -> x_{t-1}. */
export interface Sampler {
  name: string;
  /** one line: the method and where it comes from */
  about: string;
  /** the fewest steps it can take */
  minSteps: number;
  /** which options beyond the common ones it reads */
  extraOptions: readonly "eta"[];
  /** `n` timestep indices (ascending) of `d` to visit */
  timesteps(d: GaussianDiffusion, n: number): number[];
  /** the new sample and the x_0 prediction made on the way (the loop owns both afterwards) */
  step(ctx: StepContext): Promise<{ sample: tf.Tensor4D; predXstart: tf.Tensor4D }>;
}

/** The ascending timestep indices of `d` a run of `sampler` visits. */
export function scheduleOf(sampler: Sampler, d: GaussianDiffusion, steps: SampleOptions["steps"]): number[] {
  if (steps === undefined) return Array.from({ length: d.numTimesteps }, (_, i) => i);
  if (Array.isArray(steps)) return steps.slice();
  if (!Number.isInteger(steps) || steps < sampler.minSteps || steps > d.numTimesteps) {
    throw new Error(`${sampler.name} needs steps >= ${sampler.minSteps} and at most the diffusion's ${d.numTimesteps} timesteps; got ${steps}`);
  }
  return sampler.timesteps(d, steps);
}

/**
 * The largest DDIM eta the (respaced) diffusion `d` allows. Eq. 12 of Song et al. (2021) moves along
 * sqrt(1 - alphaBar_{t-1} - sigma_t^2) eps, so every step needs sigma_t^2 <= 1 - alphaBar_{t-1}, with
 * (eq. 16) sigma_t = eta sqrt((1 - alphaBar_{t-1}) / (1 - alphaBar_t)) sqrt(1 - alphaBar_t / alphaBar_{t-1}):
 *   eta <= sqrt((1 - alphaBar_t) / (1 - alphaBar_t / alphaBar_{t-1}))   for every t >= 1,
 * which is never below 1 (eta = 1 is the DDPM posterior variance). Larger etas give NaN samples.
 */
export function maxDdimEta(d: GaussianDiffusion): number {
  let limit = Infinity;
  for (let t = 1; t < d.numTimesteps; t++) {
    const ab = d.alphasCumprod[t],
      abPrev = d.alphasCumprodPrev[t];
    limit = Math.min(limit, Math.sqrt((1 - ab) / (1 - ab / abPrev)));
  }
  return Math.max(1, limit);
}

/** The largest eta `sampler` (DDIM) can run with on `d` over the schedule `steps`. */
export function etaLimit(sampler: Sampler, d: GaussianDiffusion, steps: SampleOptions["steps"]): number {
  return maxDdimEta(respace(d, scheduleOf(sampler, d, steps)));
}

/** Thrown when a sample stops being finite: which step, which timestep, and the likely cause. */
export class NonFiniteSampleError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly t: number,
  ) {
    super(message);
    // keeps `instanceof` working when tslab compiles to an older target
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "NonFiniteSampleError";
  }
}

/** True when every value of `x` is finite: 0 * x sums to 0 exactly then, and to NaN otherwise. */
async function isAllFinite(x: tf.Tensor): Promise<boolean> {
  const s = tf.tidy(() => x.mul(0).sum());
  const v = (await s.data())[0];
  s.dispose();
  return v === 0;
}

const stoppedAt = (sampler: Sampler, i: number, total: number, t: number): string =>
  `sampling (${sampler.name}) stopped at step ${i + 1} of ${total} (timestep ${t})`;

/** Refuse a step whose sample is NaN or Inf (the model's output was finite), naming the step and what to change. */
async function checkFinite(sampler: Sampler, x: tf.Tensor4D, predXstart: tf.Tensor4D, i: number, total: number, t: number, opts: SampleOptions): Promise<void> {
  if (await isAllFinite(x)) return;
  const cause = !(await isAllFinite(predXstart))
    ? "the x_0 prediction overflowed: check the model's outputs for extreme values"
    : `the step itself overflowed: lower ${[opts.eta ? "eta" : "", opts.condFn ? "the guidance scale" : ""].filter(Boolean).join(" or ") || "the guidance"}, or check the model's outputs for extreme values`;
  throw new NonFiniteSampleError(`${stoppedAt(sampler, i, total, t)}: the sample has NaN or Inf values; ${cause}`, i, t);
}

function checkOptions(sampler: Sampler, shape: SampleShape, opts: SampleOptions): void {
  if (shape.length !== 4 || shape.some((s) => !Number.isInteger(s) || s < 1))
    throw new Error(`the sample shape must be [N, H, W, C] of positive integers; got [${shape.join(", ")}]`);
  if (opts.noise && !tf.util.arraysEqual(opts.noise.shape, shape)) {
    throw new Error(`noise shape [${opts.noise.shape.join(", ")}] must equal the sample shape [${shape.join(", ")}]`);
  }
  if (opts.eta !== undefined) {
    if (!sampler.extraOptions.includes("eta")) throw new Error(`eta applies to DDIM only; ${sampler.name} has no eta`);
    if (!(Number.isFinite(opts.eta) && opts.eta >= 0)) throw new Error(`eta must be a finite number >= 0; got ${opts.eta}`);
  }
  if (opts.seed !== undefined && !Number.isInteger(opts.seed)) throw new Error(`seed must be an integer; got ${opts.seed}`);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error("sampling was aborted");
}

/**
 * The loop as an async generator: one `SamplerStep` per step (`for await` over it). Returning or
 * breaking early disposes everything; the yielded tensors live until the next step.
 */
export async function* sampleSteps(
  sampler: Sampler,
  d: GaussianDiffusion,
  model: SamplingModel,
  shape: SampleShape,
  opts: SampleOptions = {},
): AsyncGenerator<SamplerStep, void, undefined> {
  checkOptions(sampler, shape, opts);
  opts = { ...opts, signal: withKernelInterrupt(opts.signal) };
  const kept = scheduleOf(sampler, d, opts.steps);
  const run = respace(d, kept);
  if (opts.eta !== undefined && opts.eta > maxDdimEta(run)) {
    throw new Error(
      `eta = ${opts.eta} is too large for this schedule: ${sampler.name} needs eta <= ${maxDdimEta(run).toFixed(4)} here (sigma_t^2 <= 1 - alphaBar_{t-1} at every step)`,
    );
  }
  const denoise = denoiser(run, model, opts);
  const rng: Rng | undefined = opts.seed === undefined ? undefined : makeRng(opts.seed);
  let x = opts.noise ? opts.noise.clone() : (randn(shape, rng) as tf.Tensor4D);
  let prev: StepContext["prev"];
  const total = run.numTimesteps;
  try {
    for (let index = total - 1, i = 0; index >= 0; index--, i++) {
      throwIfAborted(opts.signal);
      const owned: tf.Tensor[] = [];
      const own = <T extends tf.Tensor | PMeanVariance>(v: T): T => (owned.push(...(v instanceof tf.Tensor ? [v] : Object.values(v))), v);
      const t = own(tf.fill([shape[0]], index, "int32") as tf.Tensor1D);
      const xt = x;
      const ctx: StepContext = {
        d: run,
        x: xt,
        t,
        index,
        prev,
        eta: opts.eta ?? 0,
        denoise: async (g) => own(await denoise(xt, t, g)),
        noise: () => own(randn(shape, rng) as tf.Tensor4D),
      };
      let out: { sample: tf.Tensor4D; predXstart: tf.Tensor4D };
      try {
        out = await sampler.step(ctx);
      } catch (e) {
        if (e instanceof NonFiniteSampleError && e.step < 0)
          throw new NonFiniteSampleError(`${stoppedAt(sampler, i, total, kept[index])}; ${e.message}`, i, kept[index]);
        throw e;
      } finally {
        tf.dispose(owned.filter((v) => v !== out?.sample && v !== out?.predXstart));
      }
      x.dispose();
      x = out.sample;
      prev?.predXstart.dispose();
      prev = { index, predXstart: out.predXstart };
      await checkFinite(sampler, x, out.predXstart, i, total, kept[index], opts);
      opts.callback?.({ x, i, total, t: kept[index], predXstart: out.predXstart });
      opts.progress?.(i + 1, total);
      yield { x, i, total, t: kept[index], predXstart: out.predXstart };
      // let timers, I/O and interrupts through between steps
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    x.dispose();
    prev?.predXstart.dispose();
  }
}

/** Draw samples of `shape` with `sampler` (one of SAMPLERS, or your own); resolves to x_0 (the caller disposes it). */
export async function sample(sampler: Sampler, d: GaussianDiffusion, model: SamplingModel, shape: SampleShape, opts: SampleOptions = {}): Promise<tf.Tensor4D> {
  let last: tf.Tensor4D | undefined;
  for await (const s of sampleSteps(sampler, d, model, shape, opts)) if (s.i === s.total - 1) last = s.x.clone();
  if (!last) throw new Error("the sampler took no steps");
  return last;
}
