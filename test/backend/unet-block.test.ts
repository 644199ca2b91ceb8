// A small UNet-like block trained on wasm must give the same loss and parameter gradients as on cpu:
// conv, GroupNorm via moments, SiLU, a timestep embedding (gather + dense), average pooling,
// single-head attention, nearest-neighbour upsampling and a skip connection.
import * as tf from "@tensorflow/tfjs";
import { initCpuAndWasm, runOn, seededTensor } from "../helpers/backends";
import { maxRelErr } from "../helpers/close";

beforeAll(initCpuAndWasm);

const [B, H, W, CIN, C, GROUPS, EMB, STEPS] = [2, 8, 8, 3, 8, 4, 16, 10];

const PARAM_SHAPES: Record<string, number[]> = {
  w1: [3, 3, CIN, C],
  gamma: [C],
  beta: [C],
  emb: [STEPS, EMB],
  wd: [EMB, C],
  w2: [3, 3, C, C],
  wq: [C, C],
  wk: [C, C],
  wv: [C, C],
  wo: [C, C],
  w3: [3, 3, C, CIN],
};
const NAMES = Object.keys(PARAM_SHAPES);

function groupNorm(h: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  const g = h.reshape([B, h.shape[1], h.shape[2], GROUPS, C / GROUPS]);
  const { mean, variance } = tf.moments(g, [1, 2, 4], true);
  const normed = g.sub(mean).div(variance.add(1e-5).sqrt()).reshape(h.shape);
  return normed.mul(gamma).add(beta) as tf.Tensor4D;
}

const silu = <T extends tf.Tensor>(h: T): T => h.mul(tf.sigmoid(h)) as T;

function attention(p: tf.Tensor4D, wq: tf.Tensor2D, wk: tf.Tensor2D, wv: tf.Tensor2D, wo: tf.Tensor2D): tf.Tensor4D {
  const [b, h, w, c] = p.shape;
  const rows = p.reshape([b * h * w, c]);
  const proj = (m: tf.Tensor2D) => tf.matMul(rows, m).reshape([b, h * w, c]);
  const scores = tf.matMul(proj(wq), proj(wk), false, true).div(Math.sqrt(c));
  const mixed = tf.matMul(tf.softmax(scores), proj(wv)).reshape([b * h * w, c]);
  return p.add(tf.matMul(mixed, wo).reshape([b, h, w, c])) as tf.Tensor4D;
}

function loss(x: tf.Tensor4D, t: tf.Tensor1D, p: Record<string, tf.Tensor>): tf.Scalar {
  let h = tf.conv2d(x, p.w1 as tf.Tensor4D, 1, "same");
  h = silu(groupNorm(h, p.gamma, p.beta));
  const e = tf.matMul(silu(tf.gather(p.emb, t)), p.wd as tf.Tensor2D).reshape([B, 1, 1, C]);
  h = tf.conv2d(h.add(e) as tf.Tensor4D, p.w2 as tf.Tensor4D, 1, "same");
  const pooled = tf.avgPool(h, 2, 2, "valid");
  const a = attention(pooled, p.wq as tf.Tensor2D, p.wk as tf.Tensor2D, p.wv as tf.Tensor2D, p.wo as tf.Tensor2D);
  const up = tf.image.resizeNearestNeighbor(a, [H, W]);
  const out = tf.conv2d(up.add(h) as tf.Tensor4D, p.w3 as tf.Tensor4D, 1, "same");
  return out.sub(x).square().mean() as tf.Scalar;
}

test("loss and every parameter gradient match cpu to 1e-4", async () => {
  const run = () => {
    const x = seededTensor([B, H, W, CIN], 11) as tf.Tensor4D;
    const t = tf.tensor1d([3, 7], "int32");
    const params = NAMES.map((n, i) => seededTensor(PARAM_SHAPES[n], 20 + i).mul(0.5));
    const f = (...ps: tf.Tensor[]) => loss(x, t, Object.fromEntries(NAMES.map((n, i) => [n, ps[i]])));
    const { value, grads } = tf.valueAndGrads(f)(params);
    return [value, ...grads];
  };
  const cpu = await runOn("cpu", run);
  const wasm = await runOn("wasm", run);
  expect(maxRelErr(wasm[0], cpu[0])).toBeLessThan(1e-4);
  NAMES.forEach((name, i) => {
    const err = maxRelErr(wasm[i + 1], cpu[i + 1]);
    // the name in the message says which gradient failed
    expect({ name, ok: err < 1e-4, err }).toEqual({ name, ok: true, err });
    // a gradient of all zeros would pass trivially
    expect(Math.max(...Array.from(cpu[i + 1], Math.abs))).toBeGreaterThan(0);
  });
});
