/** Gaussian diffusion, exact to guided-diffusion: schedules, respacing, q/p, losses, samplers' steps. */
export type { DiffusionModel, NoisyClassifier, ModelKwargs, CondFn, DenoisedFn, ModelMeanType, ModelVarType, LossType } from "./types";
export { getNamedBetaSchedule, betasForAlphaBar, type BetaScheduleName } from "./schedules";
export { computeDiffusionTables, type DiffusionTables } from "./tables";
export { spaceTimesteps, respaceBetas } from "./respace";
export { spacedProcess, type DiffusionProcess, type ProcessTypes } from "./process";
export { createGaussianDiffusion, bindDiffusion, type GaussianDiffusion, type GaussianDiffusionOptions } from "./gaussian-diffusion";
export type { GaussianMoments, PosteriorMoments } from "./forward";
export type { PMeanVariance, PMeanVarianceOptions } from "./p-mean-variance";
export type { StepOptions, StepOutput } from "./steps";
export type { LoopOptions, LoopStep } from "./loops";
export type { TrainingLosses, TrainingLossOptions } from "./training-losses";
export type { BpdTerms, CalcBpdOptions } from "./bpd";
export { normalKl, approxStandardNormalCdf, discretizedGaussianLogLikelihood, meanFlat } from "./losses";
export { modelTimesteps } from "./model-call";
export { conditionMean, conditionScore } from "./guidance";
export { stopGradient } from "./stop-gradient";
export { makeRng, randn, type Rng } from "../rng";
export { UniformSampler, LossSecondMomentResampler, createNamedScheduleSampler, type ScheduleSampler, type ScheduleSamplerOptions, type LossSecondMomentOptions } from "./resample";
