import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import {
  calcBpdLoop,
  callModel,
  conditionMean,
  conditionScore,
  createGaussianDiffusion,
  ddimReverseSample,
  ddimSample,
  gaussianDiffusion,
  getNamedBetaSchedule,
  modelTimesteps,
  pMeanVariance,
  priorBpd,
  pSample,
  qPosteriorMeanVariance,
  qSample,
  spaceTimesteps,
  trainingLosses,
  type GaussianDiffusion,
  type GaussianDiffusionOptions,
} from "../../lib/diffusion";
import { classifierCondFn } from "../../lib/sampling";
import { maxErr, standInClassifier, standInModel } from "./stand-ins";
import golden from "../fixtures/diffusion/steps.json";

const TOL = 1e-5;
type Nested = number[][][][];

function diffusionFor(options: Record<string, unknown>): GaussianDiffusion {
  if (options.modelMeanType === "previous_x") {
    const steps = options.steps as number;
    return gaussianDiffusion(
      getNamedBetaSchedule("linear", steps),
      { modelMeanType: "previous_x", modelVarType: "learned", lossType: "mse", rescaleTimesteps: false },
      spaceTimesteps(steps, options.timestepRespacing as string),
    );
  }
  return createGaussianDiffusion(options as GaussianDiffusionOptions);
}

beforeAll(async () => {
  await initBackend("wasm");
});

describe.each(golden.cases.map((c) => [c.name, c] as const))("guided-diffusion golden values: %s", (_name, c) => {
  const errs: Record<string, number> = {};
  afterAll(() => {
    // the largest error of the case, for the record
    console.log(
      `${c.name}: max error vs guided-diffusion = ${Math.max(...Object.values(errs)).toExponential(2)}`,
      JSON.stringify(Object.entries(errs).filter(([, e]) => e > 1e-6)),
    );
  });
  const check = (key: string, got: tf.Tensor, want: unknown): void => {
    const e = maxErr(got, want);
    errs[key] = e;
    expect([key, e < TOL ? "ok" : e]).toEqual([key, "ok"]);
  };

  test("forward process, posterior, p_mean_variance, steps, guidance, losses", () => {
    const learned = "learnSigma" in c.options || c.options.modelMeanType === "previous_x";
    const d = diffusionFor(c.options);
    const model = standInModel(learned ? golden.modelSigma : golden.model);
    const condFn = classifierCondFn(standInClassifier(golden.classifier), golden.classifierScale);
    tf.tidy(() => {
      const x = tf.tensor4d(golden.x as Nested);
      const x0 = tf.tensor4d(golden.x0 as Nested);
      const noise = tf.tensor4d(golden.noise as Nested);
      const y = tf.tensor1d(golden.y, "int32");
      const t = tf.tensor1d(c.t, "int32");
      const t2 = tf.tensor1d(c.t2, "int32");

      check("qSample", qSample(d, x0, t2, noise), c.qSample);
      const post = qPosteriorMeanVariance(d, x0, x, t2);
      check("qPosterior.mean", post.mean, c.qPosterior.mean);
      check("qPosterior.variance", post.variance, c.qPosterior.variance);
      check("qPosterior.logVarianceClipped", post.logVarianceClipped, c.qPosterior.logVarianceClipped);
      const pmvAt = (tt: tf.Tensor1D, clipDenoised = true) => pMeanVariance(d, callModel(d, model, x, tt), x, tt, { clipDenoised });
      // guided-diffusion's cond_fn sees the timesteps the model sees
      const gradient = (tt: tf.Tensor1D) => condFn(x, modelTimesteps(d, tt), { y }) as tf.Tensor4D;
      for (const [key, tt, clip] of [
        ["pmv", t, true],
        ["pmv2", t2, false],
      ] as const) {
        const p = pmvAt(tt, clip);
        const g = c[key];
        check(`${key}.mean`, p.mean, g.mean);
        check(`${key}.variance`, p.variance, g.variance);
        check(`${key}.logVariance`, p.logVariance, g.logVariance);
        check(`${key}.predXstart`, p.predXstart, g.predXstart);
      }
      check("pSample", pSample(pmvAt(t), t, noise), c.pSample);
      check("pSample2", pSample(pmvAt(t2), t2, noise), c.pSample2);
      for (const eta of [0, 1]) {
        const p = pmvAt(t2);
        const g = eta === 0 ? c.ddimEta0 : c.ddimEta1;
        check(`ddimEta${eta}.sample`, ddimSample(d, p, x, t2, { noise, eta }), g.sample);
        check(`ddimEta${eta}.predXstart`, p.predXstart, g.predXstart);
      }
      check("ddimReverse", ddimReverseSample(d, pmvAt(t2), x, t2), c.ddimReverse);
      check("pSampleGuided (Alg. 1)", pSample(conditionMean(pmvAt(t2), gradient(t2)), t2, noise), c.pSampleGuided);
      const guided = conditionScore(d, pmvAt(t2), x, t2, gradient(t2));
      check("ddimGuided.sample (Alg. 2)", ddimSample(d, guided, x, t2, { noise, eta: 0.5 }), c.ddimGuided.sample);
      check("ddimGuided.predXstart (Alg. 2)", guided.predXstart, c.ddimGuided.predXstart);
      for (const [key, tt] of [
        ["losses", t],
        ["losses2", t2],
      ] as const) {
        const l = trainingLosses(d, model, x0, tt, { noise });
        const g = c[key] as Record<string, number[]>;
        expect(Object.keys(l).sort()).toEqual(Object.keys(g).sort());
        for (const k of Object.keys(g)) check(`${key}.${k}`, l[k as keyof typeof l] as tf.Tensor, g[k]);
      }
      check("priorBpd", priorBpd(d, x0), c.priorBpd);
    });
  });
});

test("calcBpdLoop equals guided-diffusion's calc_bpd_loop", () => {
  const g = golden.bpd;
  const d = createGaussianDiffusion(g.options as GaussianDiffusionOptions);
  const model = standInModel(golden.modelSigma);
  tf.tidy(() => {
    const x0 = tf.tensor4d(golden.x0 as Nested);
    const noise = g.noise.map((n) => tf.tensor4d(n as Nested));
    const r = calcBpdLoop(d, model, x0, { noise });
    const errs = [maxErr(r.totalBpd, g.totalBpd), maxErr(r.priorBpd, g.priorBpd), maxErr(r.vb, g.vb), maxErr(r.xstartMse, g.xstartMse), maxErr(r.mse, g.mse)];
    console.log(`calcBpdLoop: max error vs guided-diffusion = ${Math.max(...errs).toExponential(2)}`);
    expect(Math.max(...errs)).toBeLessThan(TOL);
  });
});
