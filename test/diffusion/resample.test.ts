import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { LossSecondMomentResampler, UniformSampler, createNamedScheduleSampler, makeRng } from "../../lib/diffusion";

beforeAll(async () => {
  await initBackend("wasm");
});

test("UniformSampler draws every timestep about equally, with weight 1, reproducibly", () => {
  const s = new UniformSampler({ numTimesteps: 10 }, { seed: 5 });
  const { timesteps, weights } = s.sample(20000);
  const ts = timesteps.dataSync();
  const counts = new Array(10).fill(0);
  ts.forEach((t) => counts[t]++);
  // each count is Binomial(20000, 0.1): sd 42
  counts.forEach((c) => expect(Math.abs(c - 2000)).toBeLessThan(5 * 42));
  expect(new Set(weights.dataSync())).toEqual(new Set([1]));
  expect(timesteps.dtype).toBe("int32");
  const again = new UniformSampler({ numTimesteps: 10 }, { seed: 5 }).sample(20000).timesteps;
  expect(Array.from(again.dataSync())).toEqual(Array.from(ts));
  tf.dispose([timesteps, weights, again]);
});

test("LossSecondMomentResampler is uniform until warmed up, then p(t) ~ sqrt(E[L_t^2]) mixed with uniform", () => {
  const s = new LossSecondMomentResampler({ numTimesteps: 3 }, { seed: 1, historyPerTerm: 2, uniformProb: 0.1 });
  s.updateWithAllLosses([0, 1, 2, 0, 1], [1, 2, 3, 1, 2]);
  expect(s.warmedUp()).toBe(false);
  expect(Array.from(s.weights())).toEqual([1, 1, 1]);
  // t = 2 gets its second loss; t = 0 overflows and shifts out its oldest value
  s.updateWithAllLosses([2, 0], [4, 7]);
  expect(s.warmedUp()).toBe(true);
  const rms = [Math.sqrt((1 + 49) / 2), Math.sqrt((4 + 4) / 2), Math.sqrt((9 + 16) / 2)];
  const sum = rms[0] + rms[1] + rms[2];
  const want = rms.map((r) => (r / sum) * 0.9 + 0.1 / 3);
  s.weights().forEach((w, i) => expect(w).toBeCloseTo(want[i], 12));
  const { timesteps, weights } = s.sample(30000);
  const ts = timesteps.dataSync();
  const ws = weights.dataSync();
  const counts = [0, 0, 0];
  ts.forEach((t, i) => {
    counts[t]++;
    // importance weight 1 / (T p(t)) keeps the loss unbiased
    expect(ws[i]).toBeCloseTo(1 / (3 * want[t]), 5);
  });
  counts.forEach((c, i) => expect(Math.abs(c / 30000 - want[i])).toBeLessThan(5 * Math.sqrt((want[i] * (1 - want[i])) / 30000)));
  tf.dispose([timesteps, weights]);
});

test("bad input is named", () => {
  const s = new LossSecondMomentResampler({ numTimesteps: 3 });
  expect(() => s.updateWithAllLosses([3], [1])).toThrow(/timestep 3 is outside 0..2/);
  expect(() => s.updateWithAllLosses([0, 1], [1])).toThrow(/one loss per timestep/);
  expect(() => createNamedScheduleSampler("other" as "uniform", { numTimesteps: 3 })).toThrow(/unknown schedule sampler "other"/);
});

test("makeRng is a reproducible uniform stream", () => {
  const a = makeRng(42);
  const b = makeRng(42);
  const xs = Array.from({ length: 10000 }, () => a.uniform());
  expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.uniform()));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / 10000));
  expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...xs)).toBeLessThan(1);
});
