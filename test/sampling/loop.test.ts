import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion, respace } from "../../lib/diffusion";
import {
  classifierCondFn,
  ddim,
  ddpm,
  etaLimit,
  maxDdimEta,
  NonFiniteSampleError,
  sample,
  scheduleOf,
  type SampleShape,
  type SamplingModel,
} from "../../lib/sampling";
import { gaussianEpsModel, mixtureClassifier } from "./toy-models";

beforeAll(async () => {
  await initBackend("wasm");
});

const base = createGaussianDiffusion({ steps: 1000, noiseSchedule: "cosine" });
const shape: SampleShape = [4, 2, 2, 1];
const good = gaussianEpsModel(base.alphasCumprod, 0.3, 0.4);

/** The error `p` rejects with. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("the sampling loop stops on NaN and Inf", () => {
  it("names the step and blames the model when its prediction is not finite (a NaN weight gives all-black images otherwise)", async () => {
    let calls = 0;
    const broken: SamplingModel = { forward: (x, t) => (calls++ < 2 ? good.forward(x, t) : (tf.fill(x.shape, NaN) as tf.Tensor4D)) };
    (await sample(ddim, base, good, shape, { steps: 10, seed: 1 })).dispose(); // builds the respaced tables the loop caches
    const before = tf.memory().numTensors;
    const e = await rejection(sample(ddim, base, broken, shape, { steps: 10, seed: 1 }));
    expect(e).toBeInstanceOf(NonFiniteSampleError);
    expect(e.message).toMatch(/^sampling \(ddim\) stopped at step 3 of 10 \(timestep \d+\); the model's output is NaN or Inf: check its weights/);
    expect((e as NonFiniteSampleError).step).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("blames the step when the prediction is finite but guidance made the sample overflow", async () => {
    const infinite = () => tf.fill(shape, Infinity) as tf.Tensor4D;
    const e = await rejection(sample(ddpm, base, good, shape, { steps: 5, seed: 2, condFn: infinite, modelKwargs: { y: tf.tensor1d([0, 0, 0, 0], "int32") } }));
    expect(e.message).toMatch(/stopped at step 1 of 5 .*; the step itself overflowed: lower the guidance scale/);
  });

  it("refuses a classifier guidance scale that is not a finite number", () => {
    const classifier = mixtureClassifier(base.alphasCumprod, [[0.5, 0.5]], 0.2);
    for (const s of [NaN, Infinity]) expect(() => classifierCondFn(classifier, s)).toThrow(/classifierCondFn: scale must be a finite number/);
  });
});

describe("DDIM's eta", () => {
  it("is bounded where sigma_t^2 reaches 1 - alphaBar_{t-1} (Song et al. eq. 12 and 16), at least 1", () => {
    for (const steps of [3, 10, 50]) {
      const run = respace(base, scheduleOf(ddim, base, steps));
      const eta = maxDdimEta(run);
      expect(eta).toBeGreaterThanOrEqual(1);
      expect(etaLimit(ddim, base, steps)).toBe(eta);
      // sigma_t at eta, from eq. 16 directly; the tightest step is at equality
      let tightest = Infinity;
      for (let t = 1; t < run.numTimesteps; t++) {
        const ab = run.alphasCumprod[t],
          abPrev = run.alphasCumprodPrev[t];
        const sigma2 = eta * eta * ((1 - abPrev) / (1 - ab)) * (1 - ab / abPrev);
        expect(sigma2).toBeLessThanOrEqual((1 - abPrev) * (1 + 1e-12));
        tightest = Math.min(tightest, 1 - abPrev - sigma2);
      }
      expect(Math.abs(tightest)).toBeLessThan(1e-9);
    }
  });

  it("beyond the bound is refused before the model is called (eta 1e10 gave all-black images)", async () => {
    let calls = 0;
    const counted: SamplingModel = { forward: (x, t) => (calls++, good.forward(x, t)) };
    const limit = etaLimit(ddim, base, 10);
    const e = await rejection(sample(ddim, base, counted, shape, { steps: 10, eta: 1e10, seed: 3 }));
    expect(e.message).toBe(
      `eta = 10000000000 is too large for this schedule: ddim needs eta <= ${limit.toFixed(4)} here (sigma_t^2 <= 1 - alphaBar_{t-1} at every step)`,
    );
    expect(calls).toBe(0);
    const x = await sample(ddim, base, good, shape, { steps: 10, eta: limit, seed: 3 });
    expect(Array.from(x.dataSync()).every(Number.isFinite)).toBe(true);
    x.dispose();
  });
});
