import { inceptionScore } from "../../lib/metrics/inception-score";
import { matrix, reference } from "./reference";

describe("inceptionScore", () => {
  test("uniform class probabilities give 1", () => {
    expect(inceptionScore(matrix(new Array(40).fill(0.1), 4, 10))).toBeCloseTo(1, 12);
  });

  test("confident predictions spread evenly over K classes give K", () => {
    const k = 5,
      n = 20;
    const p = new Array(n * k).fill(0);
    for (let i = 0; i < n; i++) p[i * k + (i % k)] = 1;
    expect(inceptionScore(matrix(p, n, k))).toBeCloseTo(k, 12);
  });

  test("splits: the mean of per-split scores (split 1 spread over 2 classes, split 2 over 1)", () => {
    const p = [1, 0, 0, 1, 1, 0, 1, 0];
    expect(inceptionScore(matrix(p, 4, 2), { splitSize: 2 })).toBeCloseTo((2 + 1) / 2, 12);
  });

  test("matches the NumPy reference", () => {
    const c = reference.inception_score;
    expect(inceptionScore(matrix(c.probs, c.n, c.k), { splitSize: c.split })).toBeCloseTo(c.score, 12);
  });

  test("logits instead of probabilities is an error", () => {
    expect(() => inceptionScore(matrix([2, -1], 1, 2))).toThrow(/not logits/);
  });
});
