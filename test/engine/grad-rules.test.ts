import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { GraphBuilder } from "../../lib/engine/graph";
import { appendInputGradient } from "../../lib/engine/reverse-mode";
import { serializeGraph } from "../../lib/engine/serialize";
import { createSession } from "../../lib/engine/session";
import { inferShapes } from "../../lib/engine/shapes";

beforeAll(async () => {
  await initBackend("wasm");
});

// x [2, 2, 5, 5] NCHW -> out = [flatten(avgpool2(x)) | flatten(slice_h(1:4)(split_c(x - mean_hw(x))[0]))]
const N = 2;
const C = 2;
const S = 5;

function graph(w: Float32Array): GraphBuilder {
  const g = new GraphBuilder();
  const x = g.input("x", "float32", ["N", C, S, S]);
  const pooled = g.node("AveragePool", [x], { kernel_shape: [2, 2], strides: [2, 2] });
  const mean = g.node("ReduceMean", [x], { axes: [2, 3], keepdims: 1 });
  const centred = g.node("Sub", [x, mean]);
  const [first] = g.nodeN("Split", [centred], 2, { axis: 1 });
  const rows = g.node("Slice", [first, g.ints([1]), g.ints([4]), g.ints([2])]);
  const out = g.node("Concat", [g.node("Flatten", [pooled], { axis: 1 }), g.node("Flatten", [rows], { axis: 1 })], { axis: 1 });
  g.output("out", out, "float32", ["N", w.length / N]);
  // objective sum(w * out): its gradient with respect to out is w
  const grad = appendInputGradient(g, "x", "out", (gb) => gb.initializer("w", w, [N, w.length / N]));
  g.output("grad", grad, "float32", ["N", C, S, S]);
  return g;
}

function reference(x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor {
  return tf.grad((xx: tf.Tensor) => {
    const nhwc = (xx as tf.Tensor4D).transpose([0, 2, 3, 1]) as tf.Tensor4D;
    const pooled = tf.avgPool(nhwc, 2, 2, "valid").transpose([0, 3, 1, 2]);
    const centred = tf.sub(xx, tf.mean(xx, [2, 3], true));
    const rows = tf.split(centred, 2, 1)[0].slice([0, 0, 1, 0], [-1, -1, 3, -1]);
    const out = tf.concat([pooled.reshape([N, -1]), rows.reshape([N, -1])], 1);
    return tf.sum(tf.mul(out, w));
  })(x);
}

test("odd-size average pool, a broadcast operand that depends on x, an unused Split output, Slice and Concat: equal to tf.grad", async () => {
  const width = C * 2 * 2 + 1 * 3 * S;
  const w = tf.randomNormal([N, width], 0, 1, "float32", 3) as tf.Tensor2D;
  const x = tf.randomNormal([N, C, S, S], 0, 1, "float32", 4) as tf.Tensor4D;
  const g = graph(w.dataSync() as Float32Array);
  const session = await createSession(serializeGraph(g, "rules"), { threads: 1 });
  const out = await session.run({ x: { type: "float32", data: x.dataSync() as Float32Array, dims: [N, C, S, S] } });
  await session.dispose();
  expect(out.out.dims).toEqual([N, width]);
  const expected = reference(x, w);
  const got = tf.tensor(out.grad.data as Float32Array, out.grad.dims);
  expect(tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]).toBeLessThan(1e-6);
  tf.dispose([w, x, expected, got]);
});

test("shape inference: the batch stays symbolic, Reshape's 0 and -1 resolve, unknown ops are named", () => {
  const g = new GraphBuilder();
  const x = g.input("x", "float32", ["N", 4, 6]);
  const r = g.node("Reshape", [x, g.ints([0, 2, -1])]);
  const t = g.node("Transpose", [r], { perm: [0, 2, 1] });
  const back = g.node("Reshape", [t, g.node("Shape", [x])]);
  const m = g.node("MatMul", [t, g.initializer("m", new Float32Array(10), [2, 5])]);
  const shapes = inferShapes(g);
  expect(shapes.get(r)).toEqual(["N", 2, 12]);
  expect(shapes.get(t)).toEqual(["N", 12, 2]);
  expect(shapes.get(back)).toEqual(["N", 4, 6]);
  expect(shapes.get(m)).toEqual(["N", 12, 5]);
  g.node("Einsum", [m]);
  expect(() => inferShapes(g)).toThrow(/no rule for Einsum/);
});
