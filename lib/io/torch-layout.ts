/**
 * The one-time permutation between PyTorch's parameter layouts and ours (see ParamLayout in lib/nn):
 * conv OIHW <-> HWIO, linear [out, in] <-> [in, out], conv1d [out, in, 1] <-> [in, out].
 */
import * as tf from "@tensorflow/tfjs";
import { ParamLayout } from "../nn/index";

/** A tensor in PyTorch's layout -> ours. */
export function fromTorchLayout(t: tf.Tensor, layout: ParamLayout): tf.Tensor {
  return tf.tidy(() => {
    switch (layout) {
      case "conv2d":
        return t.transpose([2, 3, 1, 0]);
      case "linear":
      case "transposed":
        return t.transpose([1, 0]);
      case "conv1d":
        return t.reshape([t.shape[0] as number, t.shape[1] as number]).transpose([1, 0]);
      case "same":
        return t.clone();
    }
  });
}

/** A tensor in our layout -> PyTorch's. */
export function toTorchLayout(t: tf.Tensor, layout: ParamLayout): tf.Tensor {
  return tf.tidy(() => {
    switch (layout) {
      case "conv2d":
        return t.transpose([3, 2, 0, 1]);
      case "linear":
      case "transposed":
        return t.transpose([1, 0]);
      case "conv1d":
        return t.transpose([1, 0]).expandDims(2);
      case "same":
        return t.clone();
    }
  });
}
