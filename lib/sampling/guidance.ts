/**
 * Guidance: the classifier gradient of ADM (Dhariwal & Nichol 2021, Algorithms 1 and 2 consume it)
 * and classifier-free guidance (Ho & Salimans 2022) as a model wrapper.
 */
import * as tf from "@tensorflow/tfjs";
import type { CondFn, DiffusionModel, NoisyClassifier } from "../diffusion/index";

/**
 * cond_fn = s * grad_x log softmax(classifier(x_t, t))[y] for the labels `modelKwargs.y`. The
 * diffusion passes the timesteps the model sees (timestepMap[t]), as guided-diffusion does.
 */
export function classifierCondFn(classifier: NoisyClassifier, scale: number): CondFn {
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

/**
 * Classifier-free guidance: eps = eps(x, y_null) + w (eps(x, y) - eps(x, y_null)), both branches in
 * one batch. w = 1 is the conditional model; with 2C output channels the variance channels come
 * from the conditional branch unchanged.
 */
export function cfgModel(model: DiffusionModel, w: number, nullClass: number): DiffusionModel {
  return {
    forward(x, t, y) {
      if (!y) throw new Error("cfgModel needs class labels: pass modelKwargs: { y } to the sampler");
      return tf.tidy(() => {
        const n = x.shape[0];
        const c = x.shape[3];
        const out = model.forward(tf.concat([x, x]), tf.concat([t, t]) as tf.Tensor1D, tf.concat([y, tf.fill([n], nullClass, y.dtype)]) as tf.Tensor1D);
        const [cond, uncond] = tf.split(out, 2, 0);
        const epsCond = cond.slice([0, 0, 0, 0], [-1, -1, -1, c]);
        const epsUncond = uncond.slice([0, 0, 0, 0], [-1, -1, -1, c]);
        const eps = epsUncond.add(epsCond.sub(epsUncond).mul(w));
        return (out.shape[3] === c ? eps : tf.concat([eps, cond.slice([0, 0, 0, c], [-1, -1, -1, -1])], 3)) as tf.Tensor4D;
      });
    },
  };
}
