/**
 * Beta schedules of guided-diffusion (`get_named_beta_schedule`): the linear schedule of Ho et al.
 * (2020) scaled to any number of steps, and the cosine schedule of Nichol & Dhariwal (2021, eq. 17).
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
      throw new Error(`the linear schedule needs at least 20 steps (its last beta would be 20/T = ${(20 / numTimesteps).toFixed(2)} > 1); use T >= 20, or the cosine schedule`);
    }
    const scale = 1000 / numTimesteps;
    return linspace(scale * 0.0001, scale * 0.02, numTimesteps);
  }
  if (name === "cosine") {
    return betasForAlphaBar(numTimesteps, (t) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2);
  }
  throw new Error(`unknown beta schedule "${name as string}"; use "linear" or "cosine"`);
}
