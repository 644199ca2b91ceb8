import { batchIndices, permutation, subSeed } from "../../lib/train/seed";
import { makeRng } from "../../lib/rng";

describe("deterministic data order", () => {
  it("visits every example exactly once per epoch, across batch boundaries", () => {
    const n = 10,
      b = 4; // 2.5 batches per epoch: batch 2 straddles epochs 0 and 1
    const seen = Array.from({ length: 5 }, (_, s) => Array.from(batchIndices({ n, batchSize: b, seed: 7, step: s }))).flat();
    expect(seen.slice(0, 10).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen.slice(10, 20).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen.slice(0, 10)).not.toEqual(seen.slice(10, 20)); // a fresh permutation each epoch
  });

  it("is a pure function of (seed, step), so a resumed run draws the same batches", () => {
    const batch41 = (seed: number): number[] => Array.from(batchIndices({ n: 100, batchSize: 8, seed, step: 41 }));
    expect(batch41(3)).toEqual(batch41(3));
    expect(batch41(3)).not.toEqual(batch41(4));
  });

  it("permutations are uniform: each position sees each value about equally often", () => {
    const n = 5,
      trials = 20000,
      counts = Array.from({ length: n }, () => new Array(n).fill(0));
    const rng = makeRng(1);
    for (let k = 0; k < trials; k++) permutation(n, rng).forEach((v, i) => counts[i][v]++);
    // expected trials/n = 4000 each; binomial sd = sqrt(20000 * 0.2 * 0.8) = 57
    for (const row of counts) for (const c of row) expect(Math.abs(c - trials / n)).toBeLessThan(5 * 57);
  });

  it("mixes seeds into distinct streams", () => {
    const seeds = new Set<number>();
    for (let a = 0; a < 50; a++) for (let s = 0; s < 50; s++) seeds.add(subSeed(a, 2, s));
    expect(seeds.size).toBe(2500);
  });
});
