import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { adamStep, createAdamState, disposeAdamState } from "../../lib/train/adam";
import { updateEma, createEma, emaDecay } from "../../lib/train/ema";
import { clipByGlobalNorm } from "../../lib/train/grad-clip";
import { learningRate } from "../../lib/train/lr";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("Adam", () => {
  it("matches Kingma & Ba's Algorithm 1 computed by hand over three steps, with decoupled weight decay", () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const params = new Map([["w", p]]);
    const state = createAdamState(params);
    const grads = [
      [0.5, -1],
      [0.1, 0.3],
      [-0.2, 0.4],
    ];
    const lr = 0.01,
      b1 = 0.9,
      b2 = 0.999,
      eps = 1e-8,
      wd = 0.1;
    let w = [1, -2],
      m = [0, 0],
      v = [0, 0];
    for (let k = 1; k <= 3; k++) {
      const g = grads[k - 1];
      adamStep(params, new Map([["w", tf.tensor1d(g)]]), state, lr, { weightDecay: wd });
      m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]);
      v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i] * g[i]);
      w = w.map((wi, i) => wi - (lr * (m[i] / (1 - b1 ** k))) / (Math.sqrt(v[i] / (1 - b2 ** k)) + eps) - lr * wd * wi);
    }
    const got = Array.from(p.dataSync());
    got.forEach((x, i) => expect(x).toBeCloseTo(w[i], 6));
    expect(state.step).toBe(3);
  });

  it("its moments and an EMA copy are freed completely, with no tensor left behind", () => {
    const params = new Map([
      ["w", tf.variable(tf.zeros([3, 2]))],
      ["b", tf.variable(tf.zeros([2]))],
    ]);
    const before = tf.memory().numTensors;
    const state = createAdamState(params);
    const ema = createEma(params);
    expect(tf.memory().numTensors).toBe(before + 6); // m, v and the EMA copy of each parameter
    disposeAdamState(state);
    for (const e of ema.values()) e.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (const p of params.values()) p.dispose();
  });
});

describe("EMA, clipping, learning rate", () => {
  it("EMA follows rate * ema + (1 - rate) * param", () => {
    const p = tf.variable(tf.scalar(0));
    const params = new Map([["p", p]]);
    const ema = createEma(params);
    p.assign(tf.scalar(10));
    updateEma(ema, params, 0.9);
    updateEma(ema, params, 0.9);
    // 0 -> 1 -> 1.9
    expect(ema.get("p")!.dataSync()[0]).toBeCloseTo(1.9, 6);
  });

  it("warms the EMA decay up as (1 + k) / (10 + k), capped at the rate", () => {
    expect(emaDecay({ rate: 0.999, step: 0 })).toBeCloseTo(0.1, 12);
    expect(emaDecay({ rate: 0.999, step: 90 })).toBeCloseTo(0.91, 12);
    expect(emaDecay({ rate: 0.999, step: 100000 })).toBe(0.999);
  });

  it("clips by the global norm and leaves small gradients alone", () => {
    const g = new Map([
      ["a", tf.tensor1d([3, 0])],
      ["b", tf.tensor1d([0, 4])],
    ]);
    const big = clipByGlobalNorm(g, 1);
    expect(big.norm).toBeCloseTo(5, 6);
    expect(Array.from(big.grads.get("a")!.dataSync())[0]).toBeCloseTo(0.6, 5);
    expect(Array.from(big.grads.get("b")!.dataSync())[1]).toBeCloseTo(0.8, 5);
    const small = clipByGlobalNorm(g, 10);
    expect(Array.from(small.grads.get("b")!.dataSync())).toEqual([0, 4]);
  });

  it("warms up linearly, then decays linearly when asked", () => {
    expect(learningRate({ lr: 1, warmup: 4 }, 0)).toBe(0.25);
    expect(learningRate({ lr: 1, warmup: 4 }, 3)).toBe(1);
    expect(learningRate({ lr: 1, warmup: 4 }, 100)).toBe(1);
    expect(learningRate({ lr: 1, decaySteps: 10 }, 5)).toBe(0.5);
    // annealing that starts at step 6 (set when a run was resumed): constant before, 0 at step 10
    expect([5, 6, 8, 10, 12].map((s) => learningRate({ lr: 2, decaySteps: 10, decayFrom: 6 }, s))).toEqual([2, 2, 1, 0, 0]);
  });
});
