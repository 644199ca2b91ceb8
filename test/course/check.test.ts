import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion, qSample } from "../../lib/diffusion";
import { checkFunction, randomCases } from "../../lib/course/check";

beforeAll(async () => {
  await initBackend("wasm");
});

const d = createGaussianDiffusion({ steps: 100 });
// x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps, by hand for one timestep index
const cases = randomCases(
  4,
  (u) => [Array.from({ length: 6 }, () => 2 * u() - 1), Math.floor(u() * 100), Array.from({ length: 6 }, () => u() - 0.5)] as [number[], number, number[]],
);
const library = (x0: number[], t: number, eps: number[]) =>
  qSample(d, tf.tensor4d(x0, [1, 1, 3, 2]), tf.tensor1d([t], "int32"), tf.tensor4d(eps, [1, 1, 3, 2]));
const quiet = { display: false, argNames: ["x0", "t", "eps"] };

describe("checkFunction", () => {
  test("accepts a correct answer and reports the largest difference", () => {
    const right = (x0: number[], t: number, eps: number[]) => x0.map((v, i) => Math.sqrt(d.alphasCumprod[t]) * v + Math.sqrt(1 - d.alphasCumprod[t]) * eps[i]);
    const r = checkFunction("qSample", right, library, cases, quiet);
    expect(r.ok).toBe(true);
    expect(r.largestDifference).toBeLessThan(1e-6);
    expect(r.message).toMatch(/^✓ qSample matches the library on 4 inputs/);
  });

  test("rejects an off-by-one timestep and names the case and the element", () => {
    const offByOne = (x0: number[], t: number, eps: number[]) =>
      x0.map((v, i) => Math.sqrt(d.alphasCumprod[Math.min(t + 1, 99)]) * v + Math.sqrt(1 - d.alphasCumprod[Math.min(t + 1, 99)]) * eps[i]);
    const r = checkFunction("qSample", offByOne, library, cases, { ...quiet, hint: "alphaBar is indexed by the library's t" });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(
      /✗ qSample differs on case 1 of 4 \(x0 = array of 6, t = \d+, eps = array of 6\): element \[0, 0, 0, 0\]: yours -?[\d.]+, the library's -?[\d.]+ \(difference [\d.e-]+\)/,
    );
    expect(r.message).toMatch(/hint: alphaBar is indexed/);
  });

  test("rejects wrong shapes, missing keys, non-finite values, throws and a missing return", () => {
    const lib2 = (x: number) => ({ mean: [x, 2 * x], variance: x * x });
    const one = [[0.5]] as [number][];
    expect(checkFunction("p", (x: number) => ({ mean: [x], variance: x * x }), lib2, one, quiet).message).toMatch(
      /"mean" has 1 numbers \(shape \[1\]\); the library's has 2/,
    );
    expect(checkFunction("p", (x: number) => ({ mean: [x, 2 * x] }) as never, lib2, one, quiet).message).toMatch(/your result has no "variance"/);
    expect(checkFunction("p", (x: number) => ({ mean: [x, NaN], variance: x * x }), lib2, one, quiet).message).toMatch(/"mean" element \[1\] is NaN/);
    expect(
      checkFunction(
        "p",
        () => {
          throw new Error("not yet");
        },
        lib2,
        one,
        quiet,
      ).message,
    ).toMatch(/your function threw on case 1 \(x0 = 0\.5\): not yet/);
    expect(checkFunction("p", (() => undefined) as never, lib2, one, quiet).message).toMatch(/returned nothing/);
  });

  test("frees the tensors it makes and is reproducible", () => {
    const before = tf.memory().numTensors;
    checkFunction("qSample", (x0, t, eps) => library(x0, t, eps).mul(1), library, cases, quiet);
    expect(tf.memory().numTensors).toBe(before);
    expect(randomCases(3, (u) => [u()], 7)).toEqual(randomCases(3, (u) => [u()], 7));
    expect(randomCases(3, (u) => [u()], 7)).not.toEqual(randomCases(3, (u) => [u()], 8));
  });
});
