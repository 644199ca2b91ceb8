/**
 * createGaussianDiffusion: guided-diffusion's create_gaussian_diffusion with camelCased options,
 * returning the (always respaced, possibly to every step) process with its operations bound.
 */
import * as tf from "@tensorflow/tfjs";
import type { CondFn, DiffusionModel, ModelKwargs } from "./types";
import { getNamedBetaSchedule, type BetaScheduleName } from "./schedules";
import { spaceTimesteps } from "./respace";
import { spacedProcess, type DiffusionProcess } from "./process";
import { qMeanVariance, qPosteriorMeanVariance, qSample, predictEpsFromXstart, predictXstartFromEps, type GaussianMoments, type PosteriorMoments } from "./forward";
import { pMeanVariance, type PMeanVariance, type PMeanVarianceOptions } from "./p-mean-variance";
import { conditionMean, conditionScore } from "./guidance";
import { ddimReverseSample, ddimSample, pSample, type StepOptions, type StepOutput } from "./steps";
import { ddimSampleLoop, ddimSampleLoopProgressive, pSampleLoop, pSampleLoopProgressive, type LoopOptions, type LoopStep } from "./loops";
import { trainingLosses, type TrainingLossOptions, type TrainingLosses } from "./training-losses";
import { calcBpdLoop, priorBpd, type BpdTerms, type CalcBpdOptions } from "./bpd";
import { checkTimesteps } from "./extract";

/** Options of create_gaussian_diffusion, camelCased, with its defaults. */
export interface GaussianDiffusionOptions {
  /** diffusion steps T of the trained process (default 1000) */
  steps?: number;
  /** the model outputs 2C channels, the second half choosing the variance (learned range) */
  learnSigma?: boolean;
  /** with a fixed variance, use the posterior variance beta~_t rather than beta_t */
  sigmaSmall?: boolean;
  noiseSchedule?: BetaScheduleName;
  /** train on the rescaled variational bound alone */
  useKl?: boolean;
  /** the model predicts x_0 rather than eps */
  predictXstart?: boolean;
  /** show the model float timesteps in [0, 1000) */
  rescaleTimesteps?: boolean;
  /** scale the vb term of the hybrid loss by T / 1000 */
  rescaleLearnedSigmas?: boolean;
  /** which timesteps to keep, e.g. "250", "ddim25", "10,10,10"; "" keeps all */
  timestepRespacing?: string;
}

type Shape4 = [number, number, number, number];

/** A Gaussian diffusion: its tables and every operation of guided-diffusion's GaussianDiffusion. */
export interface GaussianDiffusion extends DiffusionProcess {
  qMeanVariance(xStart: tf.Tensor4D, t: tf.Tensor1D): GaussianMoments;
  qSample(xStart: tf.Tensor4D, t: tf.Tensor1D, noise?: tf.Tensor4D): tf.Tensor4D;
  qPosteriorMeanVariance(xStart: tf.Tensor4D, xT: tf.Tensor4D, t: tf.Tensor1D): PosteriorMoments;
  predictXstartFromEps(xT: tf.Tensor4D, t: tf.Tensor1D, eps: tf.Tensor4D): tf.Tensor4D;
  predictEpsFromXstart(xT: tf.Tensor4D, t: tf.Tensor1D, predXstart: tf.Tensor4D): tf.Tensor4D;
  pMeanVariance(model: DiffusionModel, x: tf.Tensor4D, t: tf.Tensor1D, opts?: PMeanVarianceOptions): PMeanVariance;
  conditionMean(condFn: CondFn, pmv: PMeanVariance, x: tf.Tensor4D, t: tf.Tensor1D, modelKwargs?: ModelKwargs): tf.Tensor4D;
  conditionScore(condFn: CondFn, pmv: PMeanVariance, x: tf.Tensor4D, t: tf.Tensor1D, modelKwargs?: ModelKwargs): PMeanVariance;
  pSample(model: DiffusionModel, x: tf.Tensor4D, t: tf.Tensor1D, opts?: StepOptions): StepOutput;
  pSampleLoopProgressive(model: DiffusionModel, shape: Shape4, opts?: LoopOptions): Generator<LoopStep, void, undefined>;
  pSampleLoop(model: DiffusionModel, shape: Shape4, opts?: LoopOptions): tf.Tensor4D;
  ddimSample(model: DiffusionModel, x: tf.Tensor4D, t: tf.Tensor1D, opts?: StepOptions & { eta?: number }): StepOutput;
  ddimReverseSample(model: DiffusionModel, x: tf.Tensor4D, t: tf.Tensor1D, opts?: PMeanVarianceOptions): StepOutput;
  ddimSampleLoopProgressive(model: DiffusionModel, shape: Shape4, opts?: LoopOptions & { eta?: number }): Generator<LoopStep, void, undefined>;
  ddimSampleLoop(model: DiffusionModel, shape: Shape4, opts?: LoopOptions & { eta?: number }): tf.Tensor4D;
  trainingLosses(model: DiffusionModel, xStart: tf.Tensor4D, t: tf.Tensor1D, opts?: TrainingLossOptions): TrainingLosses;
  priorBpd(xStart: tf.Tensor4D): tf.Tensor1D;
  calcBpdLoop(model: DiffusionModel, xStart: tf.Tensor4D, opts?: CalcBpdOptions): BpdTerms;
}

/** Bind every operation to a process. */
export function bindDiffusion(d: DiffusionProcess): GaussianDiffusion {
  const checked = (t: tf.Tensor1D, x: tf.Tensor4D): void => checkTimesteps(t, x, d.numTimesteps);
  return {
    ...d,
    qMeanVariance: (x0, t) => (checked(t, x0), qMeanVariance(d, x0, t)),
    qSample: (x0, t, noise) => (checked(t, x0), qSample(d, x0, t, noise)),
    qPosteriorMeanVariance: (x0, xT, t) => (checked(t, xT), qPosteriorMeanVariance(d, x0, xT, t)),
    predictXstartFromEps: (xT, t, eps) => (checked(t, xT), predictXstartFromEps(d, xT, t, eps)),
    predictEpsFromXstart: (xT, t, x0) => (checked(t, xT), predictEpsFromXstart(d, xT, t, x0)),
    pMeanVariance: (model, x, t, opts) => (checked(t, x), pMeanVariance(d, model, x, t, opts)),
    conditionMean: (condFn, pmv, x, t, kw) => (checked(t, x), conditionMean(d, condFn, pmv, x, t, kw)),
    conditionScore: (condFn, pmv, x, t, kw) => (checked(t, x), conditionScore(d, condFn, pmv, x, t, kw)),
    pSample: (model, x, t, opts) => (checked(t, x), pSample(d, model, x, t, opts)),
    pSampleLoopProgressive: (model, shape, opts) => pSampleLoopProgressive(d, model, shape, opts),
    pSampleLoop: (model, shape, opts) => pSampleLoop(d, model, shape, opts),
    ddimSample: (model, x, t, opts) => (checked(t, x), ddimSample(d, model, x, t, opts)),
    ddimReverseSample: (model, x, t, opts) => (checked(t, x), ddimReverseSample(d, model, x, t, opts)),
    ddimSampleLoopProgressive: (model, shape, opts) => ddimSampleLoopProgressive(d, model, shape, opts),
    ddimSampleLoop: (model, shape, opts) => ddimSampleLoop(d, model, shape, opts),
    trainingLosses: (model, x0, t, opts) => trainingLosses(d, model, x0, t, opts),
    priorBpd: (x0) => priorBpd(d, x0),
    calcBpdLoop: (model, x0, opts) => calcBpdLoop(d, model, x0, opts),
  };
}

/** A diffusion configured like guided-diffusion's create_gaussian_diffusion. */
export function createGaussianDiffusion(opts: GaussianDiffusionOptions = {}): GaussianDiffusion {
  const steps = opts.steps ?? 1000;
  const betas = getNamedBetaSchedule(opts.noiseSchedule ?? "linear", steps);
  const respacing = opts.timestepRespacing ?? "";
  const process = spacedProcess(betas, spaceTimesteps(steps, respacing === "" ? [steps] : respacing), {
    lossType: opts.useKl ? "rescaled_kl" : opts.rescaleLearnedSigmas ? "rescaled_mse" : "mse",
    modelMeanType: opts.predictXstart ? "start_x" : "epsilon",
    modelVarType: opts.learnSigma ? "learned_range" : opts.sigmaSmall ? "fixed_small" : "fixed_large",
    rescaleTimesteps: opts.rescaleTimesteps ?? false,
  });
  return bindDiffusion(process);
}
