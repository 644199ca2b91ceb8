import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { manifoldRadii, precisionRecall } from "../../lib/metrics/precision-recall";
import { matrix, reference } from "./reference";

beforeAll(async () => {
  await initBackend("wasm");
});

/** Points on a line, one coordinate each. */
const line = (xs: number[]) => matrix(xs, xs.length, 1);

describe("precisionRecall", () => {
  test("radius is the squared distance to the k-th neighbour, the point itself being the 0th", () => {
    const r = manifoldRadii(line([0, 1, 3, 7, 8]), { k: 2, batchSize: 2 });
    // neighbours of 0: 0,1,3 -> 9; of 1: 1,0,3 -> 4; of 3: 3,1,0 -> 9; of 7: 7,8,3 -> 16; of 8: 8,7,3 -> 25
    expect(Array.from(r)).toEqual([9, 4, 9, 16, 25]);
  });

  test("constructed sets with a known answer", () => {
    // real: 0..4 with k = 1 radii 1 everywhere; fake at 0.5, 2, 4.9, 20, 21, 22
    const real = line([0, 1, 2, 3, 4]);
    const fake = line([0.5, 2, 4.9, 20, 21, 22]);
    // precision: 0.5, 2, 4.9 lie within distance 1 of a real point; 20, 21, 22 do not -> 3/6
    // recall: fake radii (k = 1) are 2.25, 2.25, 8.41, 1, 1, 1 (squared); real 0..4 are all within
    // 1.5 of 0.5 or 2, so recall = 5/5
    const pr = precisionRecall(real, fake, { k: 1, batchSize: 2 });
    expect(pr.precision).toBe(0.5);
    expect(pr.recall).toBe(1);
  });

  test("disjoint clusters give 0 and identical sets give 1", () => {
    const a = matrix([0, 0, 1, 0, 0, 1, 1, 1, 0.5, 0.5], 5, 2);
    const far = matrix([100, 0, 101, 0, 100, 1, 101, 1, 100.5, 0.5], 5, 2);
    expect(precisionRecall(a, far, { k: 3 })).toEqual({ precision: 0, recall: 0 });
    expect(precisionRecall(a, a, { k: 3 })).toEqual({ precision: 1, recall: 1 });
  });

  test.each(reference.precision_recall.map((c) => [`${c.n_real}x${c.n_fake}x${c.d}`, c] as const))("within 0.005 of the NumPy reference: %s", (_, c) => {
    const pr = precisionRecall(matrix(c.real, c.n_real, c.d), matrix(c.fake, c.n_fake, c.d), { k: c.k, batchSize: 64 });
    expect(Math.abs(pr.precision - c.precision)).toBeLessThan(0.005);
    expect(Math.abs(pr.recall - c.recall)).toBeLessThan(0.005);
  });

  test("leaves no tensor behind (each distance block is freed)", () => {
    const before = tf.memory().numTensors;
    precisionRecall(line([0, 1, 2, 3, 4, 5, 6]), line([0.5, 2, 4.9, 20, 21]), { k: 1, batchSize: 2 });
    manifoldRadii(line([0, 1, 3, 7, 8]), { k: 2, batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
  });

  test("given the real set's radii, gives what it computes itself", () => {
    const c = reference.precision_recall[0];
    const [real, fake] = [matrix(c.real, c.n_real, c.d), matrix(c.fake, c.n_fake, c.d)];
    const radii = manifoldRadii(real, { k: c.k });
    expect(precisionRecall(real, fake, { k: c.k, realRadii: radii })).toEqual(precisionRecall(real, fake, { k: c.k }));
    // the radii are used: with all radii 0 no fake sample lies inside the real manifold
    expect(precisionRecall(real, fake, { k: c.k, realRadii: new Float64Array(c.n_real) }).precision).toBe(0);
    expect(() => precisionRecall(real, fake, { realRadii: new Float64Array(3) })).toThrow(/realRadii holds 3 radii but real has \d+ samples/);
  });

  test("errors name what is wrong", () => {
    expect(() => precisionRecall(matrix([0, 0], 1, 2), matrix([0], 1, 1))).toThrow(/d = 2 but fake have d = 1/);
    expect(() => precisionRecall(line([0, 1, 2]), line([0, 1, 2, 3]), { k: 3 })).toThrow(/real has 3 samples/);
  });
});
