import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import {
  adaGN,
  attentionBlock,
  attentionBlockParams,
  attentionBlockWeights,
  attentionWeights,
  conv2d,
  createParams,
  groupNorm32,
  groupNormParams,
  conv2dParams,
  qkvAttention,
  splitQkv,
  Params,
} from "../../lib/nn";

beforeAll(async () => {
  await initBackend("wasm");
});

/** Deterministic pseudo-random values. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  return out;
}

function setParam(params: Params, name: string, data: Float32Array): void {
  const v = params.get(name)!;
  v.assign(tf.tensor(data, v.shape));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test("groupNorm32 normalises 32 groups over space and channels, eps 1e-5, biased variance", () => {
  const [n, h, w, c] = [2, 3, 2, 64];
  const params = createParams(groupNormParams("gn", c));
  setParam(params, "gn.weight", values(c, 1));
  setParam(params, "gn.bias", values(c, 2));
  const x = values(n * h * w * c, 3).map((v, i) => v * (1 + (i % 7)));
  const got = tf.tidy(() => groupNorm32(params, "gn", tf.tensor4d(x, [n, h, w, c])).dataSync());
  const gamma = values(c, 1);
  const beta = values(c, 2);
  const want = new Float32Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < 32; g++) {
      const idx: number[] = [];
      for (let p = 0; p < h * w; p++) for (let k = 0; k < 2; k++) idx.push((b * h * w + p) * c + g * 2 + k);
      const mean = idx.reduce((s, i) => s + x[i], 0) / idx.length;
      const variance = idx.reduce((s, i) => s + (x[i] - mean) ** 2, 0) / idx.length;
      for (const i of idx) want[i] = ((x[i] - mean) / Math.sqrt(variance + 1e-5)) * gamma[i % c] + beta[i % c];
    }
  }
  expect(maxDiff(got, want)).toBeLessThan(1e-5);
});

test("groupNormParams refuses channel counts that are not multiples of 32", () => {
  expect(() => groupNormParams("input_blocks.1.0.in_layers.0", 48)).toThrow(
    /input_blocks\.1\.0\.in_layers\.0: GroupNorm32 needs a channel count divisible by 32, got 48/,
  );
});

test("stride-2 conv pads one pixel on every side, like PyTorch (not TF 'same')", () => {
  const [h, w, ci, co] = [4, 4, 2, 3];
  const params = createParams(conv2dParams("op", ci, co, 3));
  const wt = values(9 * ci * co, 4);
  const bias = values(co, 5);
  setParam(params, "op.weight", wt);
  setParam(params, "op.bias", bias);
  const x = values(h * w * ci, 6);
  const got = tf.tidy(() => conv2d(params, "op", tf.tensor4d(x, [1, h, w, ci]), 2));
  expect(got.shape).toEqual([1, 2, 2, co]);
  const want: number[] = [];
  for (let oy = 0; oy < 2; oy++)
    for (let ox = 0; ox < 2; ox++)
      for (let o = 0; o < co; o++) {
        let s = bias[o];
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = oy * 2 - 1 + ky;
            const ix = ox * 2 - 1 + kx;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            for (let i = 0; i < ci; i++) s += x[(iy * w + ix) * ci + i] * wt[((ky * 3 + kx) * ci + i) * co + o];
          }
        want.push(s);
      }
  expect(maxDiff(got.dataSync(), want)).toBeLessThan(1e-6);
  got.dispose();
});

/** Naive attention over PyTorch's [3*H*ch, T] channel layout for one batch element. */
function naiveAttention(qkv: Float32Array, t: number, heads: number, ch: number, order: "legacy" | "new"): Float32Array {
  const width = 3 * heads * ch;
  const at = (tok: number, chan: number) => qkv[tok * width + chan];
  const chan = (head: number, which: number, i: number) => (order === "legacy" ? head * 3 * ch + which * ch + i : which * heads * ch + head * ch + i);
  const out = new Float32Array(t * heads * ch);
  for (let hd = 0; hd < heads; hd++) {
    for (let q = 0; q < t; q++) {
      const logits: number[] = [];
      for (let k = 0; k < t; k++) {
        let s = 0;
        for (let i = 0; i < ch; i++) s += at(q, chan(hd, 0, i)) * at(k, chan(hd, 1, i));
        logits.push(s / Math.sqrt(ch));
      }
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let i = 0; i < ch; i++) {
        let s = 0;
        for (let k = 0; k < t; k++) s += (e[k] / z) * at(k, chan(hd, 2, i));
        out[q * heads * ch + hd * ch + i] = s;
      }
    }
  }
  return out;
}

for (const order of ["legacy", "new"] as const) {
  test(`qkvAttention, ${order} order, matches a naive implementation of guided-diffusion's channel layout`, () => {
    const [t, heads, ch] = [5, 2, 4];
    const qkv = values(t * 3 * heads * ch, order === "legacy" ? 7 : 8).map((v) => v * 4);
    const got = tf.tidy(() => qkvAttention(tf.tensor3d(qkv, [1, t, 3 * heads * ch]), heads, order).dataSync());
    expect(maxDiff(got, naiveAttention(qkv, t, heads, ch, order))).toBeLessThan(1e-5);
    const other = naiveAttention(qkv, t, heads, ch, order === "legacy" ? "new" : "legacy");
    expect(maxDiff(got, other)).toBeGreaterThan(1e-2);
  });
}

test("attentionWeights is the softmax over keys of q k^T / sqrt(ch), per head, in both channel orders", () => {
  const [t, heads, ch] = [5, 2, 4];
  for (const order of ["legacy", "new"] as const) {
    const qkv = values(t * 3 * heads * ch, 9).map((v) => v * 4);
    const got = tf.tidy(() => {
      const { q, k } = splitQkv(tf.tensor3d(qkv, [1, t, 3 * heads * ch]), heads, order);
      return attentionWeights(q, k).dataSync();
    });
    const chan = (head: number, which: number, i: number) => (order === "legacy" ? head * 3 * ch + which * ch + i : which * heads * ch + head * ch + i);
    const want: number[] = [];
    for (let hd = 0; hd < heads; hd++) {
      for (let q = 0; q < t; q++) {
        const logits = Array.from({ length: t }, (_, k) => {
          let s = 0;
          for (let i = 0; i < ch; i++) s += qkv[q * 3 * heads * ch + chan(hd, 0, i)] * qkv[k * 3 * heads * ch + chan(hd, 1, i)];
          return s / Math.sqrt(ch);
        });
        const m = Math.max(...logits);
        const z = logits.reduce((a, l) => a + Math.exp(l - m), 0);
        want.push(...logits.map((l) => Math.exp(l - m) / z));
      }
    }
    expect(maxDiff(got, want)).toBeLessThan(1e-6);
  }
});

test("attentionBlockWeights are the maps attentionBlock uses: x + proj_out(weights v) is its output", () => {
  const [n, h, w, c] = [2, 3, 3, 64];
  const cfg = { channels: c, numHeads: 1, numHeadChannels: 32, order: "new" as const };
  const params = createParams(attentionBlockParams("attn", cfg));
  let seed = 20;
  for (const [name, v] of params)
    setParam(
      params,
      name,
      values(v.size, seed++).map((x) => (name.endsWith("norm.weight") ? 1 + x : x)),
    );
  const x = tf.tensor4d(
    values(n * h * w * c, 30).map((v) => 3 * v),
    [n, h, w, c],
  );
  const weights = attentionBlockWeights(params, "attn", cfg, x);
  expect(weights.shape).toEqual([n, 2, h * w, h * w]);
  const rowSums = tf.tidy(() => weights.sum(3).dataSync());
  expect(maxDiff(rowSums, new Float32Array(rowSums.length).fill(1))).toBeLessThan(1e-5);
  const [got, want] = tf.tidy(() => {
    const tokens = groupNorm32(params, "attn.norm", x).reshape([n, h * w, c]);
    const qkv = tf
      .add(tf.matMul(tokens.reshape([-1, c]), params.get("attn.qkv.weight")!), params.get("attn.qkv.bias")!)
      .reshape([n, h * w, 3 * c]) as tf.Tensor3D;
    const { v } = splitQkv(qkv, 2, "new");
    const a = tf.matMul(weights, v).transpose([0, 2, 1, 3]).reshape([-1, c]);
    const out = tf
      .add(tf.matMul(a, params.get("attn.proj_out.weight")!), params.get("attn.proj_out.bias")!)
      .reshape([n, h, w, c])
      .add(x);
    return [out.dataSync(), attentionBlock(params, "attn", cfg, x).dataSync()];
  });
  expect(maxDiff(got, want)).toBeLessThan(1e-5);
  tf.dispose([x, weights]);
});

test("adaGN is GroupNorm(h) * (1 + scale) + shift with e = [scale | shift], and names the shape it needs", () => {
  const [n, h, w, c] = [2, 2, 3, 32];
  const params = createParams(groupNormParams("out_layers.0", c));
  setParam(
    params,
    "out_layers.0.weight",
    values(c, 11).map((v) => 1 + v),
  );
  setParam(params, "out_layers.0.bias", values(c, 12));
  const hx = tf.tensor4d(values(n * h * w * c, 13), [n, h, w, c]);
  const eData = values(n * 2 * c, 14);
  const e = tf.tensor2d(eData, [n, 2 * c]);
  const [got, normed] = tf.tidy(() => [adaGN(params, "out_layers.0", hx, e).dataSync(), groupNorm32(params, "out_layers.0", hx).dataSync()]);
  const want = Array.from(normed, (v, i) => {
    const b = Math.floor(i / (h * w * c)),
      ch = i % c;
    return v * (1 + eData[b * 2 * c + ch]) + eData[b * 2 * c + c + ch];
  });
  expect(maxDiff(got, want)).toBeLessThan(1e-6);
  expect(() => adaGN(params, "out_layers.0", hx, tf.zeros([n, c]) as tf.Tensor2D)).toThrow(
    /out_layers\.0: AdaGN needs the embedding projection as \[2, 64\] \(scale then shift for 32 channels\), got \[2,32\]/,
  );
  tf.dispose([hx, e]);
});
