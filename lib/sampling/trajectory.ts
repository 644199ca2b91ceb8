/** Record a sampler's steps as plain arrays for plotting. */
import type { DiffusionModel, GaussianDiffusion } from "../diffusion/index";
import type { SampleShape, Sampler, SamplerOptions } from "./types";

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
export function collectTrajectory<O extends SamplerOptions>(
  sampler: Sampler<O>,
  diffusion: GaussianDiffusion,
  model: DiffusionModel,
  shape: SampleShape,
  opts: O = {} as O,
  every = 1,
): { shape: SampleShape; steps: TrajectoryStep[] } {
  if (!Number.isInteger(every) || every < 1) throw new Error(`every must be a positive integer; got ${every}`);
  const steps: TrajectoryStep[] = [];
  const final = sampler(diffusion, model, shape, {
    ...opts,
    callback: (s) => {
      opts.callback?.(s);
      if (s.i % every === 0 || s.i === s.total - 1) {
        steps.push({ i: s.i, t: s.t, x: Array.from(s.x.dataSync()), predXstart: Array.from(s.predXstart.dataSync()) });
      }
    },
  });
  final.dispose();
  return { shape, steps };
}
