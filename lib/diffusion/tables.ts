/**
 * The float64 coefficient tables of a Gaussian diffusion, indexed by timestep t = 0..T-1, computed
 * once from the betas exactly as guided-diffusion's `GaussianDiffusion.__init__` does.
 */

/** Every coefficient the forward process, the posterior and the samplers read. */
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
    posteriorMeanCoef1: map(betas, (b, i) => (b * Math.sqrt(alphasCumprodPrev[i])) / (1 - alphasCumprod[i])),
    posteriorMeanCoef2: map(alphas, (a, i) => ((1 - alphasCumprodPrev[i]) * Math.sqrt(a)) / (1 - alphasCumprod[i])),
  };
}
