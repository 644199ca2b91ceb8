/** Samplers on one loop with one signature, guidance, kernel interrupts, and trajectory recording. */
export {
  sample,
  sampleSteps,
  denoiser,
  scheduleOf,
  maxDdimEta,
  etaLimit,
  NonFiniteSampleError,
  type Sampler,
  type SampleOptions,
  type SampleShape,
  type SamplerStep,
  type SamplingModel,
  type StepContext,
  type Denoiser,
} from "./loop";
export { ddpm, ddim, dpmSolverPP, SAMPLERS, getSampler, logSnrTimesteps, encodeDdim, type SamplerName, type EncodeDdimOptions } from "./samplers";
export { classifierCondFn, engineCondFn, cfgModel, type CfgOptions, type InputGradientModel } from "./guidance";
export { kernelInterruptSignal, withKernelInterrupt, inTslabKernel } from "./interrupt";
export { collectTrajectory, type TrajectoryStep } from "./trajectory";
