import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion } from "../../lib/diffusion";
import { ddpm, sample } from "../../lib/sampling";
import { createMlpDenoiser } from "../../lib/course/mlp-denoiser";
import { boundByT, recordReverse, trainPoints } from "../../lib/course/reverse";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("notebook 04 helpers", () => {
  it("reads calcBpdLoop's columns (loop order T-1..0) back in the seminar's order L_0..L_{T-1}", () => {
    const terms = {
      vb: tf.tensor2d([
        [30, 20, 10],
        [32, 22, 12],
      ]) as tf.Tensor2D, // columns: library t = 2, 1, 0
      priorBpd: tf.tensor1d([0.5, 0.7]),
      totalBpd: tf.tensor1d([60.5, 66.7]),
      xstartMse: tf.zeros([2, 3]) as tf.Tensor2D,
      mse: tf.zeros([2, 3]) as tf.Tensor2D,
    };
    const b = boundByT(terms);
    expect(b.t).toEqual([0, 1, 2]);
    expect(b.bits).toEqual([11, 21, 31]);
    expect(b.prior).toBeCloseTo(0.6);
    expect(b.total).toBeCloseTo(63.6);
    tf.dispose(Object.values(terms));
  });

  it("records x_T..x_0 and the x_0 predictions made from x_T..x_every, and ends at the loop's sample", async () => {
    // (T = 20 would make the linear schedule's last beta exactly 1, so alphaBar_T = 0 and x_0 = x_T / 0)
    const diffusion = createGaussianDiffusion({ steps: 40, noiseSchedule: "cosine" });
    const model = createMlpDenoiser({ hidden: 8, depth: 1 });
    await recordReverse(diffusion, model, 5, { seed: 3, every: 10 }); // the diffusion's table tensors are made on first use
    const before = tf.memory().numTensors;
    const r = await recordReverse(diffusion, model, 5, { seed: 3, every: 10 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.x.t).toEqual([40, 30, 20, 10, 0]);
    expect(r.predX0.t).toEqual([40, 30, 20, 10]);
    expect(r.x.x[0]).toHaveLength(10);
    // the same seed and starting noise through the library loop gives the same x_0
    const noise = tf.randomNormal([5, 1, 1, 2], 0, 1, "float32", 3) as tf.Tensor4D;
    const x0 = await sample(ddpm, diffusion, model, [5, 1, 1, 2], { noise, seed: 3 });
    expect(Array.from(r.x.x[4])).toEqual(Array.from(x0.dataSync()));
    // an untrained (zero-output) model predicts eps = 0, so its x_0 prediction from x_T is x_T / sqrt(alphaBar_T), clipped
    const first = r.predX0.x[0],
      xT = r.x.x[0];
    const expected = Array.from(xT, (v) => Math.max(-1, Math.min(1, v / Math.sqrt(diffusion.alphasCumprod[39]))));
    Array.from(first).forEach((v, k) => expect(v).toBeCloseTo(expected[k], 4));
    tf.dispose([noise, x0]);
    model.dispose();
  });

  it("trains points with lib/train and logs every logEvery steps", async () => {
    const diffusion = createGaussianDiffusion({ steps: 50 });
    const model = createMlpDenoiser({ hidden: 16, depth: 1, seed: 2 });
    const pts = new Float32Array(200).map((_, i) => (i % 2 ? 0.5 : -0.5));
    const logged: number[] = [];
    const history = await trainPoints(model, diffusion, pts, { steps: 30, batchSize: 32, logEvery: 10, onLog: (s) => logged.push(s) });
    expect(history).toHaveLength(30);
    expect(logged).toEqual([0, 10, 20, 29]);
    model.dispose();
  });
});
