// Our wasm kernels free every intermediate: Adam steps of a small conv net that uses all of them
// leave the tensor count and the wasm backend's buffer count unchanged.
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { seededTensor } from "../helpers/backends";

test("tensors and wasm buffers after 5 Adam steps equal those after 1", async () => {
  await initBackend("wasm");
  const vars = {
    w1: tf.variable(seededTensor([3, 3, 1, 8], 1).mul(0.3)) as tf.Variable<tf.Rank.R4>,
    w2: tf.variable(seededTensor([3, 3, 8, 8], 2).mul(0.3)) as tf.Variable<tf.Rank.R4>,
    w3: tf.variable(seededTensor([3, 3, 8, 1], 3).mul(0.3)) as tf.Variable<tf.Rank.R4>,
    emb: tf.variable(seededTensor([10, 8], 4).mul(0.3)),
  };
  const x = seededTensor([4, 8, 8, 1], 5) as tf.Tensor4D;
  const t = tf.tensor1d([0, 3, 3, 9], "int32");
  const opt = tf.train.adam(1e-3);
  const step = () => {
    const cost = opt.minimize(() => {
      // conv s1 (dx, dW), conv s2 (strided dx, dW), gather (UnsortedSegmentSum), attention-like
      // batched matmuls with transposes (BatchMatMul), nearest upsampling
      const h = tf.conv2d(x, vars.w1, 1, "same").add(tf.gather(vars.emb, t).reshape([4, 1, 1, 8]));
      const d = tf.conv2d(tf.relu(h) as tf.Tensor4D, vars.w2, 2, "same");
      const seq = d.reshape([4, 16, 8]);
      const mixed = tf.matMul(tf.softmax(tf.matMul(seq, seq, false, true)), seq).reshape([4, 4, 4, 8]);
      const up = tf.image.resizeNearestNeighbor(mixed as tf.Tensor4D, [8, 8]);
      return tf.conv2d(up, vars.w3, 1, "same").sub(x).square().mean() as tf.Scalar;
    }, true);
    const value = cost!.dataSync()[0];
    cost!.dispose();
    return value;
  };
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const first = step();
  const tensors = tf.memory().numTensors;
  const buffers = backend.numDataIds();
  let last = first;
  for (let i = 0; i < 4; i++) last = step();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(backend.numDataIds()).toBe(buffers);
  // the steps did train: Adam moved the loss
  expect(last).not.toBe(first);
});
