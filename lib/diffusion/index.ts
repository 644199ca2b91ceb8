/** Gaussian diffusion, exact to guided-diffusion: schedules and tables, q and its posterior, p and the steps, losses and the bound. */
export { getNamedBetaSchedule, betasForAlphaBar, computeDiffusionTables, type BetaScheduleName, type DiffusionTables } from "./schedules";
export { spaceTimesteps, respaceBetas } from "./respace";
export {
  createGaussianDiffusion,
  gaussianDiffusion,
  respace,
  coef,
  releaseTables,
  type GaussianDiffusion,
  type GaussianDiffusionOptions,
  type DiffusionTypes,
  type TableName,
  type DiffusionModel,
  type NoisyClassifier,
  type ModelKwargs,
  type CondFn,
  type DenoisedFn,
  type ModelMeanType,
  type ModelVarType,
  type LossType,
} from "./gaussian-diffusion";
export {
  qMeanVariance,
  qSample,
  qPosteriorMeanVariance,
  predictXstartFromEps,
  predictXstartFromXprev,
  predictEpsFromXstart,
  type GaussianMoments,
  type PosteriorMoments,
} from "./forward";
export {
  modelTimesteps,
  callModel,
  checkModelOutput,
  pMeanVariance,
  conditionMean,
  conditionScore,
  pSample,
  ddimSample,
  ddimReverseSample,
  type PMeanVariance,
  type PMeanVarianceOptions,
} from "./reverse";
export {
  normalKl,
  approxStandardNormalCdf,
  discretizedGaussianLogLikelihood,
  meanFlat,
  vbTermsBpd,
  stopGradient,
  trainingLosses,
  priorBpd,
  calcBpdLoop,
  type TrainingLosses,
  type TrainingLossOptions,
  type BpdTerms,
  type CalcBpdOptions,
} from "./losses";
export { makeRng, randn, type Rng } from "../rng";
export {
  UniformSampler,
  LossSecondMomentResampler,
  createNamedScheduleSampler,
  type ScheduleSampler,
  type ScheduleSamplerOptions,
  type LossSecondMomentOptions,
} from "./resample";
