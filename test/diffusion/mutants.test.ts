/**
 * Mutation check of the diffusion core: copies of lib/ with one deliberate bug each (an index
 * flipped, a term dropped, two coefficients swapped) must fail the guided-diffusion golden values
 * that the real lib/ passes. A mutant that survives means the goldens do not cover that line.
 */
import * as tf from "@tensorflow/tfjs";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join, resolve } from "path";
import { initBackend } from "../../lib/backend";
import type * as Diffusion from "../../lib/diffusion";
import { maxErr, standInClassifier, standInModel } from "./stand-ins";
import golden from "../fixtures/diffusion/steps.json";

type Nested = number[][][][];
type Lib = typeof Diffusion;

/** Each mutant: the file under lib/diffusion, the exact text it replaces, and the bug put there. */
const MUTANTS: { name: string; file: string; from: string; to: string }[] = [
  {
    name: "alpha-bar_{t-1} read at t (index flipped)",
    file: "schedules.ts",
    from: "(i === 0 ? 1 : alphasCumprod[i - 1])",
    to: "(i === 0 ? 1 : alphasCumprod[i])",
  },
  {
    name: "clipped posterior log-variance uses beta~_0 = 0",
    file: "schedules.ts",
    from: "Math.log(i === 0 ? posteriorVariance[1] : v)",
    to: "Math.log(i === 0 ? posteriorVariance[0] + 1e-20 : v)",
  },
  {
    name: "q_sample scales the noise by sqrt(alpha-bar) (coefficients swapped)",
    file: "forward.ts",
    from: 'add(coef(d, "sqrtOneMinusAlphasCumprod", t).mul(eps))',
    to: 'add(coef(d, "sqrtAlphasCumprod", t).mul(eps))',
  },
  {
    name: "learned range without the +1 of v' = (v + 1) / 2 (term dropped)",
    file: "reverse.ts",
    from: "(v as tf.Tensor4D).add(1).div(2)",
    to: "(v as tf.Tensor4D).div(2)",
  },
  {
    name: "DDIM sigma with alpha-bar ratio inverted",
    file: "reverse.ts",
    from: "one.sub(alphaBar.div(alphaBarPrev))",
    to: "one.sub(alphaBarPrev.div(alphaBar))",
  },
  {
    name: "decoder NLL at t = 1 instead of t = 0 (index flipped)",
    file: "losses.ts",
    from: "tf.where(tf.equal(t, 0), decoderNll, kl)",
    to: "tf.where(tf.equal(t, 1), decoderNll, kl)",
  },
  {
    name: "Algorithm 1 drops the variance (mu + g instead of mu + Sigma g)",
    file: "reverse.ts",
    from: "pmv.mean.add(pmv.variance.mul(gradient))",
    to: "pmv.mean.add(gradient)",
  },
  { name: "vb rescaled by 1000 / T instead of T / 1000", file: "losses.ts", from: "vb.mul(d.numTimesteps / 1000)", to: "vb.mul(1000 / d.numTimesteps)" },
];

const ROOT = resolve(__dirname, "../..");
const WORK = join(ROOT, "build", "mutants");

/** A copy of lib/ under build/ (so it resolves node_modules), with `mutate` applied to one file. */
function libCopy(name: string, mutate?: { file: string; from: string; to: string }): string {
  const dir = join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, "lib"), join(dir, "lib"), { recursive: true });
  if (mutate) {
    const path = join(dir, "lib", "diffusion", mutate.file);
    const src = readFileSync(path, "utf8");
    if (!src.includes(mutate.from))
      throw new Error(`mutant text not found in lib/diffusion/${mutate.file}: ${mutate.from} (update MUTANTS after changing the code)`);
    writeFileSync(path, src.replace(mutate.from, mutate.to));
  }
  return join(dir, "lib", "diffusion", "index.ts");
}

/** The largest error against guided-diffusion over every golden case, computed with library `D`. */
function goldenError(D: Lib): number {
  let worst = 0;
  const note = (got: tf.Tensor, want: unknown): void => {
    const e = maxErr(got, want);
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  };
  const classifier = standInClassifier(golden.classifier);
  for (const c of golden.cases) {
    const o = c.options as Record<string, unknown>;
    const learned = "learnSigma" in o || o.modelMeanType === "previous_x";
    const d =
      o.modelMeanType === "previous_x"
        ? D.gaussianDiffusion(
            D.getNamedBetaSchedule("linear", o.steps as number),
            { modelMeanType: "previous_x", modelVarType: "learned", lossType: "mse", rescaleTimesteps: false },
            D.spaceTimesteps(o.steps as number, o.timestepRespacing as string),
          )
        : D.createGaussianDiffusion(o as Diffusion.GaussianDiffusionOptions);
    const model = standInModel(learned ? golden.modelSigma : golden.model);
    tf.tidy(() => {
      const x = tf.tensor4d(golden.x as Nested);
      const x0 = tf.tensor4d(golden.x0 as Nested);
      const noise = tf.tensor4d(golden.noise as Nested);
      const y = tf.tensor1d(golden.y, "int32");
      const t = tf.tensor1d(c.t, "int32");
      const t2 = tf.tensor1d(c.t2, "int32");
      const pmv = (tt: tf.Tensor1D) => D.pMeanVariance(d, D.callModel(d, model, x, tt), x, tt);
      const gradient = (tt: tf.Tensor1D): tf.Tensor4D => {
        const ts = D.modelTimesteps(d, tt);
        const logP = (xin: tf.Tensor): tf.Scalar => {
          const logits = classifier.forward(xin as tf.Tensor4D, ts);
          return tf.logSoftmax(logits).mul(tf.oneHot(y, logits.shape[1])).sum();
        };
        return tf.grad(logP)(x).mul(golden.classifierScale) as tf.Tensor4D;
      };
      note(D.qSample(d, x0, t2, noise), c.qSample);
      note(D.qPosteriorMeanVariance(d, x0, x, t2).logVarianceClipped, c.qPosterior.logVarianceClipped);
      note(pmv(t).mean, c.pmv.mean);
      note(pmv(t).logVariance, c.pmv.logVariance);
      note(D.pSample(pmv(t), t, noise), c.pSample);
      note(D.ddimSample(d, pmv(t2), x, t2, { noise, eta: 1 }), c.ddimEta1.sample);
      note(D.pSample(D.conditionMean(pmv(t2), gradient(t2)), t2, noise), c.pSampleGuided);
      note(D.ddimSample(d, D.conditionScore(d, pmv(t2), x, t2, gradient(t2)), x, t2, { noise, eta: 0.5 }), c.ddimGuided.sample);
      for (const [key, tt] of [
        ["losses", t],
        ["losses2", t2],
      ] as const) {
        const l = D.trainingLosses(d, model, x0, tt, { noise });
        const g = c[key] as Record<string, number[]>;
        for (const k of Object.keys(g)) note(l[k as keyof typeof l] as tf.Tensor, g[k]);
      }
    });
  }
  return worst;
}

function load(path: string): Lib {
  let lib: Lib | undefined;
  jest.isolateModules(() => {
    // a fresh module registry per mutant copy needs a run-time require
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    lib = require(path) as Lib;
  });
  return lib as Lib;
}

beforeAll(async () => {
  await initBackend("wasm");
});
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

test("the unmutated copy of lib/ matches guided-diffusion (the control)", () => {
  expect(goldenError(load(libCopy("control")))).toBeLessThan(1e-5);
});

test.each(MUTANTS.map((m) => [m.name, m] as const))("mutant is caught: %s", (_name, m) => {
  expect(goldenError(load(libCopy(m.name.replace(/[^a-z0-9]+/gi, "-"), m)))).toBeGreaterThan(1e-4);
});
