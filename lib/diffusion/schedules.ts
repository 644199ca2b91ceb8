/**
 * Schedules and tables: guided-diffusion's beta schedules (`get_named_beta_schedule`: the linear
 * schedule of Ho et al. 2020 scaled to any number of steps, the cosine schedule of Nichol & Dhariwal
 * 2021, eq. 17) and the float64 coefficient tables `GaussianDiffusion.__init__` computes from them,
 * indexed by timestep t = 0..T-1.
 */

/** Names accepted by {@link getNamedBetaSchedule}. */
export type BetaScheduleName = "linear" | "cosine";

/**
 * numpy's `linspace(start, stop, num)`: start + i * step, with the last value set to stop exactly,
 * so our betas equal guided-diffusion's bit for bit.
 */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/**
 * Betas that discretise a continuous alpha-bar(t), t in [0, 1]:
 * beta_i = min(1 - alphaBar((i+1)/T) / alphaBar(i/T), maxBeta).
 */
export function betasForAlphaBar(numTimesteps: number, alphaBar: (t: number) => number, maxBeta = 0.999): Float64Array {
  const betas = new Float64Array(numTimesteps);
  for (let i = 0; i < numTimesteps; i++) {
    const t1 = i / numTimesteps;
    const t2 = (i + 1) / numTimesteps;
    betas[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta);
  }
  return betas;
}

/**
 * The named beta schedule for `numTimesteps` steps, in float64.
 * - "linear": beta from 1e-4 to 0.02 at T = 1000, both ends scaled by 1000 / T.
 * - "cosine": alphaBar(t) = cos^2(((t + 0.008) / 1.008) * pi / 2), betas capped at 0.999.
 */
export function getNamedBetaSchedule(name: BetaScheduleName, numTimesteps: number): Float64Array {
  if (!Number.isInteger(numTimesteps) || numTimesteps < 1) {
    throw new Error(`numTimesteps must be a positive integer, got ${numTimesteps}`);
  }
  if (name === "linear") {
    // beta_T = 20 / T: above 1 for T < 20, which is no variance fraction. T = 20 gives beta_T = 1 exactly
    // (alpha-bar_T = 0, x_T independent of x_0), which guided-diffusion accepts; predicting x_0 from
    // x_T then divides by zero.
    if (numTimesteps < 20) {
      throw new Error(
        `the linear schedule needs at least 20 steps (its last beta would be 20/T = ${(20 / numTimesteps).toFixed(2)} > 1); use T >= 20, or the cosine schedule`,
      );
    }
    const scale = 1000 / numTimesteps;
    return linspace(scale * 0.0001, scale * 0.02, numTimesteps);
  }
  if (name === "cosine") {
    return betasForAlphaBar(numTimesteps, (t) => Math.cos((((t + 0.008) / 1.008) * Math.PI) / 2) ** 2);
  }
  throw new Error(`unknown beta schedule "${name as string}"; use "linear" or "cosine"`);
}

/**
 * Every coefficient the forward process, the posterior and the samplers read: guided-diffusion's 13
 * tables, then six it derives inside its methods on every call, computed here once.
 */
export interface DiffusionTables {
  betas: Float64Array;
  alphasCumprod: Float64Array;
  alphasCumprodPrev: Float64Array;
  alphasCumprodNext: Float64Array;
  sqrtAlphasCumprod: Float64Array;
  sqrtOneMinusAlphasCumprod: Float64Array;
  logOneMinusAlphasCumprod: Float64Array;
  sqrtRecipAlphasCumprod: Float64Array;
  sqrtRecipm1AlphasCumprod: Float64Array;
  posteriorVariance: Float64Array;
  posteriorLogVarianceClipped: Float64Array;
  posteriorMeanCoef1: Float64Array;
  posteriorMeanCoef2: Float64Array;
  /** 1 - alphaBar_t, the variance of q(x_t | x_0) */
  oneMinusAlphasCumprod: Float64Array;
  /** log beta_t, the upper end of the learned log-variance range */
  logBetas: Float64Array;
  /** beta_t with beta~_1 at t = 0 ("fixed large"), and its log */
  fixedLargeVariance: Float64Array;
  fixedLargeLogVariance: Float64Array;
  /** 1 / coef1_t and coef2_t / coef1_t, to solve the posterior mean for x_0 */
  recipPosteriorMeanCoef1: Float64Array;
  posteriorMeanCoef2OverCoef1: Float64Array;
}

function map(a: Float64Array, f: (v: number, i: number) => number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i], i);
  return out;
}

/** Compute all tables from betas (each in (0, 1], at least two of them). */
export function computeDiffusionTables(betasIn: ArrayLike<number>): DiffusionTables {
  const betas = Float64Array.from(betasIn);
  const T = betas.length;
  if (T < 2) throw new Error(`a diffusion needs at least 2 timesteps (the clipped posterior log-variance reads t = 1); got ${T}`);
  for (let i = 0; i < T; i++) {
    if (!(betas[i] > 0 && betas[i] <= 1)) throw new Error(`betas must lie in (0, 1]; betas[${i}] = ${betas[i]}`);
  }
  const alphas = map(betas, (b) => 1 - b);
  // alphaBar_t = prod_{s<=t} alpha_s (DDPM eq. 4)
  const alphasCumprod = new Float64Array(T);
  let acc = 1;
  for (let i = 0; i < T; i++) {
    acc *= alphas[i];
    alphasCumprod[i] = acc;
  }
  const alphasCumprodPrev = map(alphasCumprod, (_, i) => (i === 0 ? 1 : alphasCumprod[i - 1]));
  const alphasCumprodNext = map(alphasCumprod, (_, i) => (i === T - 1 ? 0 : alphasCumprod[i + 1]));
  // posterior q(x_{t-1} | x_t, x_0) (DDPM eqs. 6-7): variance beta~_t and the two mean coefficients
  const posteriorVariance = map(betas, (b, i) => (b * (1 - alphasCumprodPrev[i])) / (1 - alphasCumprod[i]));
  const posteriorMeanCoef1 = map(betas, (b, i) => (b * Math.sqrt(alphasCumprodPrev[i])) / (1 - alphasCumprod[i]));
  const posteriorMeanCoef2 = map(alphas, (a, i) => ((1 - alphasCumprodPrev[i]) * Math.sqrt(a)) / (1 - alphasCumprod[i]));
  // sigma^2 = beta_t, except beta~_1 at t = 0 for a better decoder likelihood
  const fixedLargeVariance = map(betas, (b, i) => (i === 0 ? posteriorVariance[1] : b));
  return {
    betas,
    alphasCumprod,
    alphasCumprodPrev,
    alphasCumprodNext,
    sqrtAlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(a)),
    sqrtOneMinusAlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1 - a)),
    logOneMinusAlphasCumprod: map(alphasCumprod, (a) => Math.log(1 - a)),
    sqrtRecipAlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1 / a)),
    sqrtRecipm1AlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1 / a - 1)),
    posteriorVariance,
    // beta~_0 = 0, so the log is clipped by reusing beta~_1 at t = 0
    posteriorLogVarianceClipped: map(posteriorVariance, (v, i) => Math.log(i === 0 ? posteriorVariance[1] : v)),
    posteriorMeanCoef1,
    posteriorMeanCoef2,
    oneMinusAlphasCumprod: map(alphasCumprod, (a) => 1 - a),
    logBetas: map(betas, Math.log),
    fixedLargeVariance,
    fixedLargeLogVariance: map(fixedLargeVariance, Math.log),
    recipPosteriorMeanCoef1: map(posteriorMeanCoef1, (c) => 1 / c),
    posteriorMeanCoef2OverCoef1: map(posteriorMeanCoef2, (c, i) => c / posteriorMeanCoef1[i]),
  };
}
