/** Samplers with one signature and a per-step callback, guidance, and trajectory recording. */
export type { SampleShape, SamplerStep, SamplerOptions, Sampler } from "./types";
export { sampleDdpm } from "./ddpm";
export { sampleDdim, encodeDdim, type DdimOptions, type EncodeDdimOptions } from "./ddim";
export { sampleDpmSolverPP, logSnrTimesteps, type DpmSolverOptions } from "./dpm-solver";
export { classifierCondFn, cfgModel } from "./guidance";
export { collectTrajectory, type TrajectoryStep } from "./trajectory";
