/** Run a step generator to the end, reporting each step and keeping the last sample. */
import type * as tf from "@tensorflow/tfjs";
import type { LoopStep } from "../diffusion/index";
import type { SamplerOptions } from "./types";

/** Drain `loop` (of `total` steps), calling the callbacks; returns the final sample. */
export function drive(loop: Iterable<LoopStep>, total: number, opts: Pick<SamplerOptions, "callback" | "progress">): tf.Tensor4D {
  let last: tf.Tensor4D | undefined;
  let i = 0;
  for (const step of loop) {
    opts.callback?.({ x: step.sample, i, total, t: step.t, predXstart: step.predXstart });
    last?.dispose();
    last = step.sample.clone();
    i++;
    opts.progress?.(i, total);
  }
  if (!last) throw new Error("the sampler took no steps");
  return last;
}
