/**
 * How a spaced diffusion calls its model and its guidance function (guided-diffusion's
 * _WrappedModel): spaced index t becomes the original timestep timestepMap[t], optionally rescaled
 * to a float in [0, 1000).
 */
import * as tf from "@tensorflow/tfjs";
import type { DiffusionProcess } from "./process";
import type { CondFn, DiffusionModel, ModelKwargs } from "./types";

/** The timesteps the model sees for spaced indices t. */
export function modelTimesteps(d: DiffusionProcess, t: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const original = tf.gather(tf.tensor1d(d.timestepMap, "int32"), t) as tf.Tensor1D;
    return d.rescaleTimesteps ? (original.toFloat().mul(1000 / d.originalNumSteps) as tf.Tensor1D) : original;
  });
}

/** model.forward(x, timestepMap[t], y), checking the output shape for the variance type. */
export function callModel(d: DiffusionProcess, model: DiffusionModel, x: tf.Tensor4D, t: tf.Tensor1D, modelKwargs: ModelKwargs = {}): tf.Tensor4D {
  return tf.tidy(() => {
    const out = model.forward(x, modelTimesteps(d, t), modelKwargs.y);
    const [n, h, w, c] = x.shape;
    const learned = d.modelVarType === "learned" || d.modelVarType === "learned_range";
    const want = [n, h, w, learned ? 2 * c : c];
    if (!tf.util.arraysEqual(out.shape, want)) {
      throw new Error(
        `model output shape [${out.shape.join(", ")}] should be [${want.join(", ")}]` +
          (learned ? " (modelVarType " + d.modelVarType + " needs 2C channels: eps then v; set learnSigma to match the model)" : " (set learnSigma: true if the model outputs 2C channels)"),
      );
    }
    return out;
  });
}

/** condFn(x, timestepMap[t], kwargs): the classifier sees the same timesteps as the model. */
export function callCondFn(d: DiffusionProcess, condFn: CondFn, x: tf.Tensor4D, t: tf.Tensor1D, modelKwargs: ModelKwargs = {}): tf.Tensor4D {
  return tf.tidy(() => condFn(x, modelTimesteps(d, t), modelKwargs));
}
