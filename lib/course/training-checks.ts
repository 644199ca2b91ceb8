/**
 * Checkers for the exercises of notebook 06 (training ADM): the bound term of the hybrid loss with the
 * mean's gradient stopped, the learned-variance interpolation of Improved DDPM eq. 15, and one EMA
 * update with its warm-up. Each runs the student's function and the library's on the same seeded
 * inputs (./check) and says which case and element differ, with a hint at the usual mistake.
 */
import * as tf from "@tensorflow/tfjs";
import { pMeanVariance, qSample, trainingLosses, type GaussianDiffusion } from "../diffusion/index";
import { emaDecay, updateEma } from "../train/index";
import { checkFunction, randomCases, type CheckResult } from "./check";
import type { ExerciseCheckOptions } from "./exercise-checks";

function needLearnedRange(d: GaussianDiffusion, what: string): void {
  if (d.modelVarType !== "learned_range") {
    throw new Error(
      `${what}: the diffusion's variance is ${d.modelVarType}; this exercise is about the learned range of Improved DDPM: create it with learnSigma: true (and learnSigma's default, learned_range)`,
    );
  }
}

/** Timesteps for the cases: the first (the decoder term), the last, and `k` spread in between. */
function timesteps(u: () => number, T: number, k: number): number[] {
  return [0, T - 1, ...Array.from({ length: k }, () => 1 + Math.floor(u() * (T - 2)))];
}

type VlbTerm = (modelOutput: tf.Tensor4D, xStart: tf.Tensor4D, xT: tf.Tensor4D, t: tf.Tensor1D) => tf.Tensor1D;

/**
 * Exercise: L_vlb of the hybrid loss (Improved DDPM eq. 16), `yours(modelOutput, xStart, xT, t)`:
 * one bound term L_t per image in bits/dim, from the model's output [N, H, W, 2C] (eps, then v),
 * with the gradient of the eps half stopped so that the bound trains only the variance. Compared
 * with the library's `trainingLosses(...).vb` in value and in its gradient with respect to the
 * model's output (both halves), on a learned-variance diffusion with T = 1000 (where the hybrid's
 * lambda T / 1000 is 1).
 */
export function checkVlbTerm(yours: VlbTerm, diffusion: GaussianDiffusion, opts: ExerciseCheckOptions = {}): CheckResult {
  needLearnedRange(diffusion, "checkVlbTerm");
  if (diffusion.numTimesteps !== 1000)
    throw new Error(`checkVlbTerm: give the 1000-step diffusion (this one has ${diffusion.numTimesteps}), where L_vlb is not rescaled`);
  const cases = randomCases(
    3,
    (u, k) => {
      const t = timesteps(u, diffusion.numTimesteps, 2);
      const n = t.length,
        seed = 50 + 10 * k;
      // x_0 on the 8-bit grid (the decoder term at t = 0 reads bins); eps near N(0, 1); v in [-1, 1]
      const xStart = tf.tidy(() => tf.randomUniform([n, 4, 4, 1], 0, 256, "int32", seed).toFloat().div(127.5).sub(1)) as tf.Tensor4D;
      const noise = tf.randomNormal([n, 4, 4, 1], 0, 1, "float32", seed + 1) as tf.Tensor4D;
      const out = tf.tidy(() =>
        tf.concat([tf.randomNormal([n, 4, 4, 1], 0, 1, "float32", seed + 2), tf.randomUniform([n, 4, 4, 1], -1, 1, "float32", seed + 3)], 3),
      );
      return [out as tf.Tensor4D, xStart, noise, tf.tensor1d(t, "int32")] as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
    },
    11,
  );
  /** The term and its gradient with respect to the model's output, split into the eps and v halves. */
  const withGradient =
    (vlb: (out: tf.Tensor4D, xStart: tf.Tensor4D, noise: tf.Tensor4D, t: tf.Tensor1D) => tf.Tensor1D) =>
    (out: tf.Tensor4D, xStart: tf.Tensor4D, noise: tf.Tensor4D, t: tf.Tensor1D) => {
      const value = vlb(out, xStart, noise, t);
      const grad = tf.grad((o: tf.Tensor) => vlb(o as tf.Tensor4D, xStart, noise, t).sum())(out);
      const [gradEps, gradV] = tf.split(grad, 2, 3);
      return { L_vlb: value, "gradient on eps": gradEps, "gradient on v": gradV };
    };
  const library = withGradient((out, xStart, noise, t) => trainingLosses(diffusion, { forward: () => out }, xStart, t, { noise }).vb!);
  const student = withGradient((out, xStart, noise, t) => yours(out, xStart, qSample(diffusion, xStart, t, noise), t));
  try {
    return checkFunction("L_vlb with the mean frozen", student, library, cases, {
      ...opts,
      argNames: ["modelOutput", "xStart", "noise", "t"],
      atol: 1e-4,
      rtol: 1e-3,
      hint:
        "split the output into eps and v (`tf.split(modelOutput, 2, 3)`), put it back together as `concat([stopGradient(eps), v])`, then " +
        "`vbTermsBpd(diffusion, pMeanVariance(diffusion, frozen, xT, t, { clipDenoised: false }), xStart, xT, t)`: without stopGradient the bound " +
        "also pulls on eps; without clipDenoised: false the x_0 guess is clipped, which training does not do",
    });
  } finally {
    tf.dispose(cases.flat());
  }
}

/**
 * Exercise: the learned variance of Improved DDPM eq. 15, `yours(v, t)` with `v` the model's raw
 * variance output [N, H, W, C] in [-1, 1] and `t` library timestep indices, returning
 * log sigma^2 = frac log beta_t + (1 - frac) log beta~_t, frac = (v + 1) / 2; compared with the
 * log-variance of the library's `pMeanVariance`.
 */
export function checkLearnedLogVariance(
  yours: (v: tf.Tensor4D, t: number[]) => tf.Tensor4D,
  diffusion: GaussianDiffusion,
  opts: ExerciseCheckOptions = {},
): CheckResult {
  needLearnedRange(diffusion, "checkLearnedLogVariance");
  const cases = randomCases(
    3,
    (u, k) => {
      const t = timesteps(u, diffusion.numTimesteps, 3);
      return [tf.randomUniform([t.length, 3, 3, 1], -1, 1, "float32", 70 + k) as tf.Tensor4D, t] as [tf.Tensor4D, number[]];
    },
    13,
  );
  const library = (v: tf.Tensor4D, t: number[]) =>
    pMeanVariance(diffusion, tf.concat([tf.zerosLike(v), v], 3) as tf.Tensor4D, tf.zerosLike(v), tf.tensor1d(t, "int32")).logVariance;
  try {
    return checkFunction("learned log-variance", yours, library, cases, {
      ...opts,
      argNames: ["v", "t"],
      atol: 1e-4,
      rtol: 1e-4,
      hint:
        "the model's v is in [-1, 1]: first frac = (v + 1) / 2; then `frac * logBetas[t] + (1 - frac) * posteriorLogVarianceClipped[t]` per image " +
        "(the clipped table: beta~ is 0 at t = 0, so its log would be -Infinity)",
    });
  } finally {
    tf.dispose(cases.map((c) => c[0]));
  }
}

/**
 * Exercise: one EMA update, `yours(ema, params, rate, step)` on plain arrays, returning the new
 * average d ema + (1 - d) params with the warm-up d = min(rate, (1 + step) / (10 + step));
 * compared with lib.train's `updateEma` at `emaDecay({ rate, step })`.
 */
export function checkEmaUpdate(yours: (ema: number[], params: number[], rate: number, step: number) => number[], opts: ExerciseCheckOptions = {}): CheckResult {
  const cases = randomCases(
    4,
    (u, k) => {
      const ema = Array.from({ length: 6 }, () => 2 * u() - 1),
        params = Array.from({ length: 6 }, () => 2 * u() - 1);
      return [ema, params, [0.999, 0.99, 0.9999, 0.9][k], [0, 5, 20000, 1000][k]] as [number[], number[], number, number];
    },
    17,
  );
  const library = (ema: number[], params: number[], rate: number, step: number) => {
    const e = new Map([["w", tf.variable(tf.tensor1d(ema), false)]]);
    const p = new Map([["w", tf.variable(tf.tensor1d(params), false)]]);
    updateEma(e, p, emaDecay({ rate, step }));
    const out = Array.from(e.get("w")!.dataSync());
    tf.dispose([e.get("w")!, p.get("w")!]);
    return out;
  };
  return checkFunction("EMA update", yours, library, cases, {
    ...opts,
    argNames: ["ema", "params", "rate", "step"],
    atol: 1e-6,
    rtol: 1e-5,
    hint: "d = min(rate, (1 + step) / (10 + step)), then `d * ema + (1 - d) * params`: the average keeps the large share d of its old value",
  });
}
