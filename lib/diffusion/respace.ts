/**
 * Timestep respacing (guided-diffusion's respace.py): keep a subset of the original timesteps and
 * recompute betas so that the kept alphasCumprod are unchanged. The kept list is explicit, so a
 * spaced index t always maps to the original timestep timestepMap[t] (no "t - T // n" arithmetic).
 */

/** Python's round(): halves go to the even neighbour (round(4.5) = 4), unlike Math.round. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The original timesteps to keep, sorted ascending, exactly as guided-diffusion's `space_timesteps`.
 *
 * `spec` is a comma-separated list of step counts, one per equal section of the T steps
 * ("250", "10,10,10"), or "ddimN" for the DDIM paper's fixed integer stride giving N steps.
 * A number array works like the comma list.
 */
export function spaceTimesteps(numTimesteps: number, spec: string | number[]): number[] {
  if (typeof spec === "string" && spec.startsWith("ddim")) {
    const desired = Number(spec.slice(4));
    if (!Number.isInteger(desired) || desired < 1) throw new Error(`timestep respacing "${spec}" needs a positive step count after "ddim", e.g. "ddim25"`);
    for (let stride = 1; stride < numTimesteps; stride++) {
      if (Math.ceil(numTimesteps / stride) === desired) {
        const steps: number[] = [];
        for (let s = 0; s < numTimesteps; s += stride) steps.push(s);
        return steps;
      }
    }
    throw new Error(
      `timestep respacing "${spec}": no integer stride gives exactly ${desired} of ${numTimesteps} steps; pick another count or use "${desired}"`,
    );
  }
  const counts = typeof spec === "string" ? spec.split(",").map((s) => Number(s.trim())) : spec;
  if (counts.length === 0 || counts.some((c) => !Number.isInteger(c) || c < 0)) {
    throw new Error(`timestep respacing "${String(spec)}" must be comma-separated non-negative integers like "250" or "10,10,10", or "ddimN"`);
  }
  const sizePer = Math.floor(numTimesteps / counts.length);
  const extra = numTimesteps % counts.length;
  const kept = new Set<number>();
  let startIdx = 0;
  counts.forEach((count, i) => {
    const size = sizePer + (i < extra ? 1 : 0);
    if (size < count) throw new Error(`timestep respacing "${String(spec)}": cannot divide a section of ${size} steps into ${count}`);
    const fracStride = count <= 1 ? 1 : (size - 1) / (count - 1);
    let cur = 0;
    for (let k = 0; k < count; k++) {
      kept.add(startIdx + roundHalfEven(cur));
      cur += fracStride;
    }
    startIdx += size;
  });
  return Array.from(kept).sort((a, b) => a - b);
}

/**
 * Betas of the spaced process: beta'_k = 1 - alphaBar[s_k] / alphaBar[s_{k-1}] over the kept
 * timesteps s_k (alphaBar before the first kept step is 1), with timestepMap[k] = s_k.
 */
export function respaceBetas(alphasCumprod: Float64Array, useTimesteps: number[]): { betas: Float64Array; timestepMap: number[] } {
  const keep = new Set(useTimesteps);
  const betas: number[] = [];
  const timestepMap: number[] = [];
  let last = 1;
  for (let i = 0; i < alphasCumprod.length; i++) {
    if (!keep.has(i)) continue;
    betas.push(1 - alphasCumprod[i] / last);
    last = alphasCumprod[i];
    timestepMap.push(i);
  }
  return { betas: Float64Array.from(betas), timestepMap };
}
