import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion } from "../../lib/diffusion";
import { collectTrajectory, ddim, dpmSolverPP, sample } from "../../lib/sampling";
import { gaussianEpsModel } from "./toy-models";

beforeAll(async () => {
  await initBackend("wasm");
});

const base = createGaussianDiffusion({ steps: 1000 });
const model = gaussianEpsModel(base.alphasCumprod, 0.3, 0.4);

test("collectTrajectory keeps every k-th step and the last as plain arrays, leaking no tensors", async () => {
  const d = createGaussianDiffusion({ steps: 1000, timestepRespacing: "25" });
  (await sample(ddim, d, model, [3, 1, 1, 2], { seed: 4 })).dispose(); // the diffusion's table tensors are made on first use
  const before = tf.memory().numTensors;
  const { shape, steps } = await collectTrajectory(ddim, d, model, [3, 1, 1, 2], { seed: 4, clipDenoised: false, every: 10 });
  expect(tf.memory().numTensors).toBe(before);
  expect(shape).toEqual([3, 1, 1, 2]);
  expect(steps.map((s) => s.i)).toEqual([0, 10, 20, 24]);
  expect(steps.map((s) => s.t)).toEqual([24, 14, 4, 0]);
  for (const s of steps) {
    expect(Array.isArray(s.x)).toBe(true);
    expect(s.x).toHaveLength(6);
    expect(s.predXstart).toHaveLength(6);
  }
  // the last step's x is the sample itself, as sample returns it for the same seed
  const x = await sample(ddim, d, model, [3, 1, 1, 2], { seed: 4, clipDenoised: false });
  expect(steps[3].x).toEqual(Array.from(x.dataSync()));
  x.dispose();
});

test("collectTrajectory passes sampler options through and still calls the user's callback", async () => {
  let calls = 0;
  const { steps } = await collectTrajectory(dpmSolverPP, base, model, [2, 1, 1, 1], { steps: 6, seed: 1, callback: () => calls++ });
  expect(calls).toBe(steps.length);
  expect(steps[0].t).toBe(999);
  expect(steps[steps.length - 1].t).toBe(0);
  await expect(collectTrajectory(ddim, base, model, [1, 1, 1, 1], { every: 0 })).rejects.toThrow(/every must be a positive integer/);
});
