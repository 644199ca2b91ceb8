/** Samplers on one loop with one signature, guidance, and trajectory recording. */
export { sample, sampleSteps, denoiser, scheduleOf, maxDdimEta, etaLimit, NonFiniteSampleError, type Sampler, type SampleOptions, type SampleShape, type SamplerStep, type SamplingModel, type StepContext, type Denoiser } from "./loop";
export { ddpm, ddim, dpmSolverPP, SAMPLERS, getSampler, logSnrTimesteps, encodeDdim, type SamplerName, type EncodeDdimOptions } from "./samplers";
export { classifierCondFn, cfgModel, type CfgOptions } from "./guidance";
export { collectTrajectory, type TrajectoryStep } from "./trajectory";
