/**
 * The sample-quality checkers of notebook 08 accept a right answer and reject the usual wrong one,
 * saying what differs; the right answers are written here from the formulas, independently of lib/metrics.
 */
import { initBackend } from "../../lib/backend";
import { checkFrechet1d, checkPrecision } from "../../lib/course/metric-checks";

beforeAll(async () => {
  await initBackend("wasm");
});

const quiet = { display: false };

test("checkFrechet1d accepts (mu1 - mu2)^2 + (sd1 - sd2)^2 and rejects the variances' difference in place of the deviations'", () => {
  const right = checkFrechet1d((m1, v1, m2, v2) => (m1 - m2) ** 2 + (Math.sqrt(v1) - Math.sqrt(v2)) ** 2, quiet);
  expect(right.ok).toBe(true);
  expect(right.message).toMatch(/^✓ Frechet distance of two 1-D Gaussians matches the library on 4 inputs/);
  const wrong = checkFrechet1d((m1, v1, m2, v2) => (m1 - m2) ** 2 + (v1 - v2) ** 2, quiet);
  expect(wrong.ok).toBe(false);
  expect(wrong.message).toMatch(/✗ Frechet distance of two 1-D Gaussians differs on case 1 of 4/);
  expect(wrong.message).toMatch(/hint: .*2 sqrt\(var1 var2\)/);
  // the means alone pass nothing: case 1 has equal means and unequal variances
  expect(checkFrechet1d((m1, _v1, m2) => (m1 - m2) ** 2, quiet).ok).toBe(false);
});

/** Precision written from the definition with Euclidean distances in float64, sorting every row's distances. */
function precision(real: number[][], fake: number[][], k: number): number {
  const dist = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]));
  const radii = real.map((r) => real.map((q) => dist(r, q)).sort((a, b) => a - b)[k]);
  return fake.filter((f) => real.some((r, i) => dist(f, r) <= radii[i])).length / fake.length;
}

test("checkPrecision accepts the k-th neighbour radius (self as the 0th) and rejects the (k-1)-th", () => {
  const right = checkPrecision(precision, quiet);
  expect(right.ok).toBe(true);
  expect(right.message).toMatch(/^✓ precision from k-NN radii matches the library on 3 inputs/);
  const offByOne = checkPrecision((real, fake, k) => precision(real, fake, k - 1), quiet);
  expect(offByOne.ok).toBe(false);
  expect(offByOne.message).toMatch(/✗ precision from k-NN radii differs on case 1 of 3/);
  expect(offByOne.message).toMatch(/hint: a real row's radius is its distance to the k-th nearest row/);
  // recall (real rows inside fake balls) is another number on these sets
  expect(checkPrecision((real, fake, k) => precision(fake, real, k), quiet).ok).toBe(false);
});
