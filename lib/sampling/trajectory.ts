/** Record a sampler's steps as plain arrays for plotting. */
import type { GaussianDiffusion } from "../diffusion/index";
import { sampleSteps, type SampleOptions, type SampleShape, type Sampler, type SamplingModel } from "./loop";

/** One kept step: step number i, diffusion timestep t, x and the x_0 prediction flattened (NHWC order). */
export interface TrajectoryStep {
  i: number;
  t: number;
  x: number[];
  predXstart: number[];
}

/**
 * Run `sampler` and keep every `every`-th step and the last one as plain arrays. Returns the sample
 * shape and the kept steps; the final sample is the last step's x.
 */
export async function collectTrajectory(
  sampler: Sampler,
  diffusion: GaussianDiffusion,
  model: SamplingModel,
  shape: SampleShape,
  opts: SampleOptions & { every?: number } = {},
): Promise<{ shape: SampleShape; steps: TrajectoryStep[] }> {
  const every = opts.every ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new Error(`every must be a positive integer; got ${every}`);
  const steps: TrajectoryStep[] = [];
  for await (const s of sampleSteps(sampler, diffusion, model, shape, opts)) {
    if (s.i % every === 0 || s.i === s.total - 1) {
      steps.push({ i: s.i, t: s.t, x: Array.from(await s.x.data()), predXstart: Array.from(await s.predXstart.data()) });
    }
  }
  return { shape, steps };
}
