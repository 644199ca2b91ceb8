/**
 * Checkers for the sample-quality exercises of notebook 08 (the sweep over the guidance scale): each
 * runs the student's function and the library's metric on the same seeded inputs (./check) and says
 * which case differs, with a hint at the usual mistake.
 * - the Frechet distance of two 1-D Gaussians (FID with one feature), against lib.metrics' frechetDistance;
 * - improved precision (Kynkaanniemi et al. 2019) from k-nearest-neighbour radii, against precisionRecall.
 */
import { frechetDistance, precisionRecall, type FeatureMatrix } from "../metrics/index";
import { makeRng } from "../rng";
import { checkFunction, randomCases, type CheckResult } from "./check";
import type { ExerciseCheckOptions } from "./exercise-checks";

/**
 * Exercise: FID's formula in one dimension, `yours(mu1, var1, mu2, var2)` = the squared Frechet
 * distance between N(mu1, var1) and N(mu2, var2), against `frechetDistance` on 1 x 1 statistics.
 */
export function checkFrechet1d(yours: (mu1: number, var1: number, mu2: number, var2: number) => number, opts: ExerciseCheckOptions = {}): CheckResult {
  // variances spread over decades, and one case with equal means, so a wrong variance term cannot hide
  const cases = randomCases(
    4,
    (u, k) => {
      const mu1 = 4 * u() - 2;
      return [mu1, Math.exp(6 * u() - 3), k === 0 ? mu1 : 4 * u() - 2, Math.exp(6 * u() - 3)] as [number, number, number, number];
    },
    84,
  );
  const reference = (mu1: number, var1: number, mu2: number, var2: number): number =>
    frechetDistance({ mu: Float64Array.of(mu1), sigma: Float64Array.of(var1) }, { mu: Float64Array.of(mu2), sigma: Float64Array.of(var2) });
  return checkFunction("Frechet distance of two 1-D Gaussians", yours, reference, cases, {
    ...opts,
    argNames: ["mu1", "var1", "mu2", "var2"],
    atol: 1e-9,
    rtol: 1e-7,
    hint: "d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)); with one feature S is the variance, so the last term is 2 sqrt(var1 var2)",
  });
}

/** n points in d dimensions as plain rows: a Gaussian blob at `centre` with the given spread. */
function blob(n: number, d: number, centre: number, spread: number, seed: number): number[][] {
  const rng = makeRng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => centre + spread * rng.normal()));
}

const matrix = (rows: number[][]): FeatureMatrix => ({ data: Float64Array.from(rows.flat()), shape: [rows.length, rows[0].length] });

/**
 * Exercise: improved precision, `yours(real, fake, k)` with real and fake as arrays of feature rows:
 * the share of fake rows inside at least one real ball, where each real row's ball reaches its k-th
 * nearest real neighbour (the row itself being the 0th). Against lib.metrics' `precisionRecall`.
 */
export function checkPrecision(yours: (real: number[][], fake: number[][], k: number) => number, opts: ExerciseCheckOptions = {}): CheckResult {
  // fake sets shifted and widened against the real one, so the answer is neither 0 nor 1 and depends on k
  const settings: [number, number, number, number][] = [
    [2, 1.5, 1.5, 3],
    [3, 1.0, 1.5, 1],
    [5, 0.8, 1.3, 5],
  ];
  const cases = settings.map(
    ([d, shift, spread, k], i) => [blob(40, d, 0, 1, 90 + i), blob(30, d, shift, spread, 95 + i), k] as [number[][], number[][], number],
  );
  const reference = (real: number[][], fake: number[][], k: number): number => precisionRecall(matrix(real), matrix(fake), { k }).precision;
  return checkFunction("precision from k-NN radii", yours, reference, cases, {
    ...opts,
    argNames: ["real", "fake", "k"],
    atol: 1e-9,
    rtol: 0,
    hint: "a real row's radius is its distance to the k-th nearest row of the real set counting itself as the 0th (sort its distances to all real rows, take index k); a fake row counts when its distance to some real row is at most that row's radius",
  });
}
