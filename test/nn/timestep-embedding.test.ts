import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { readNpz, toFloat32 } from "../../lib/io";
import { timestepEmbedding, timestepFrequencies } from "../../lib/nn";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("timestepEmbedding", () => {
  const g = readNpz(path.resolve(__dirname, "../fixtures/models/timestep_embedding.npz"));
  const ts = Array.from(g.get("t")!.data as BigInt64Array, Number);

  for (const dim of [32, 33, 512]) {
    test(`matches guided-diffusion's timestep_embedding (dim ${dim}, t up to 999)`, () => {
      const expected = toFloat32(g.get(`emb${dim}`)!);
      const t = tf.tensor1d(ts, "int32");
      const got = timestepEmbedding(t, dim);
      t.dispose();
      expect(got.shape).toEqual([5, dim]);
      const a = got.dataSync();
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - expected[i]));
      // PyTorch's vectorised float32 exp is off by 1 ulp from the correctly rounded f_i for some i, and
      // t * f_i near t = 999 has a float32 ulp of 6e-5: so agreement is to about one ulp of the argument.
      expect(max).toBeLessThan(1e-4);
      got.dispose();
    });
  }

  test("cos half first, f_0 = 1, odd width ends in a zero column", () => {
    const e = timestepEmbedding(tf.tensor1d([2], "int32"), 5).dataSync();
    expect(Array.from(timestepFrequencies(2))).toEqual([1, Math.fround(0.01)]);
    expect(e[0]).toBeCloseTo(Math.cos(2), 6);
    expect(e[2]).toBeCloseTo(Math.sin(2), 6);
    expect(e[4]).toBe(0);
  });
});
