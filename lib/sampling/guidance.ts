/**
 * Guidance: the classifier gradient of ADM (Dhariwal & Nichol 2021, Algorithms 1 and 2 consume it),
 * by tf.grad through a tfjs classifier or from an engine that computes it, and classifier-free
 * guidance (Ho & Salimans 2022) as a model wrapper.
 */
import * as tf from "@tensorflow/tfjs";
import type { CondFn, DiffusionModel, NoisyClassifier } from "../diffusion/index";
import type { SamplingModel } from "./loop";

/**
 * cond_fn = s * grad_x log softmax(classifier(x_t, t))[y] for the labels `modelKwargs.y`. The
 * diffusion passes the timesteps the model sees (timestepMap[t]), as guided-diffusion does.
 */
export function classifierCondFn(classifier: NoisyClassifier, scale: number): CondFn {
  if (typeof scale !== "number" || !Number.isFinite(scale)) throw new Error(`classifierCondFn: scale must be a finite number; got ${scale}`);
  return (x, t, modelKwargs) => {
    const y = modelKwargs.y;
    if (!y) throw new Error("classifier guidance needs the target classes: pass modelKwargs: { y } (an int32 Tensor1D)");
    return tf.tidy(() => {
      const logProbOfY = (xIn: tf.Tensor): tf.Scalar => {
        const logits = classifier.forward(xIn as tf.Tensor4D, t);
        return tf.logSoftmax(logits).mul(tf.oneHot(y, logits.shape[1])).sum();
      };
      return tf.grad(logProbOfY)(x).mul(scale) as tf.Tensor4D;
    });
  };
}

/** A classifier that computes its own guidance gradient (the engine's `onnxClassifierGradient` is one). */
export interface InputGradientModel {
  /** logits and grad = d/dx sum_i log p(y_i | x_i, t_i), shaped like x; the caller owns both */
  forward(x: tf.Tensor4D, t: tf.Tensor1D, y: tf.Tensor1D, opts?: { signal?: AbortSignal }): Promise<{ logits: tf.Tensor; grad: tf.Tensor4D }>;
}

/**
 * The same cond_fn, s * grad_x log p(y | x_t, t), from a model that returns the gradient itself:
 * the engine's classifier, whose graph holds the backward pass (one ONNX Runtime run per step).
 * The sampling loop's signal reaches the model, so an abort stops waiting for it.
 */
export function engineCondFn(model: InputGradientModel, scale: number): CondFn {
  if (!Number.isFinite(scale)) throw new Error(`engineCondFn: scale must be a finite number; got ${scale}`);
  return async (x, t, modelKwargs, opts) => {
    const y = modelKwargs.y;
    if (!y) throw new Error("classifier guidance needs the target classes: pass modelKwargs: { y } (an int32 Tensor1D)");
    const { logits, grad } = await model.forward(x, t, y, opts);
    const scaled = tf.mul(grad, scale) as tf.Tensor4D;
    tf.dispose([logits, grad]);
    return scaled;
  };
}

/** Options of {@link cfgModel}. */
export interface CfgOptions {
  /** the guidance weight w: 0 is the unconditional model, 1 the conditional one */
  scale: number;
  /** the label the model was trained with for "no class" (label dropout) */
  nullClass: number;
}

/**
 * Classifier-free guidance (Ho & Salimans 2022): eps = eps(x, y_null) + w (eps(x, y) - eps(x, y_null)),
 * both branches in one batch. With 2C output channels the variance channels come from the
 * conditional branch unchanged. Works for models that answer at once and for asynchronous ones.
 */
export function cfgModel(model: DiffusionModel, opts: CfgOptions): DiffusionModel;
export function cfgModel(model: SamplingModel, opts: CfgOptions): SamplingModel;
export function cfgModel(model: SamplingModel, opts: CfgOptions): SamplingModel {
  const { scale: w, nullClass } = opts;
  if (!Number.isFinite(w)) throw new Error(`cfgModel: scale must be a finite number; got ${w}`);
  if (!Number.isInteger(nullClass) || nullClass < 0) throw new Error(`cfgModel: nullClass must be a non-negative integer label; got ${nullClass}`);
  const combine = (out: tf.Tensor4D, c: number): tf.Tensor4D =>
    tf.tidy(() => {
      const [cond, uncond] = tf.split(out, 2, 0);
      const epsCond = cond.slice([0, 0, 0, 0], [-1, -1, -1, c]);
      const epsUncond = uncond.slice([0, 0, 0, 0], [-1, -1, -1, c]);
      const eps = epsUncond.add(epsCond.sub(epsUncond).mul(w));
      return (out.shape[3] === c ? eps : tf.concat([eps, cond.slice([0, 0, 0, c], [-1, -1, -1, -1])], 3)) as tf.Tensor4D;
    });
  const forward = (x: tf.Tensor4D, t: tf.Tensor1D, y?: tf.Tensor1D): tf.Tensor4D | Promise<tf.Tensor4D> => {
    if (!y) throw new Error("cfgModel needs class labels: pass modelKwargs: { y } to the sampler");
    const n = x.shape[0];
    const c = x.shape[3];
    const [xx, tt, yy] = tf.tidy(() => [
      tf.concat([x, x]) as tf.Tensor4D,
      tf.concat([t, t]) as tf.Tensor1D,
      tf.concat([y, tf.fill([n], nullClass, y.dtype)]) as tf.Tensor1D,
    ]);
    let out: tf.Tensor4D | Promise<tf.Tensor4D>;
    try {
      out = model.forward(xx, tt, yy);
    } catch (e) {
      tf.dispose([xx, tt, yy]);
      throw e;
    }
    const finish = (o: tf.Tensor4D): tf.Tensor4D => {
      tf.dispose([xx, tt, yy]);
      const r = combine(o, c);
      o.dispose();
      return r;
    };
    return out instanceof Promise ? out.then(finish, (e) => (tf.dispose([xx, tt, yy]), Promise.reject(e))) : finish(out);
  };
  return { forward };
}
