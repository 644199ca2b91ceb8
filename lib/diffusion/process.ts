/**
 * The data of a (possibly respaced) Gaussian diffusion: coefficient tables plus how the model is
 * called. Every diffusion function takes one of these; `createGaussianDiffusion` binds them.
 */
import type { LossType, ModelMeanType, ModelVarType } from "./types";
import { computeDiffusionTables, type DiffusionTables } from "./tables";
import { respaceBetas } from "./respace";

/** A diffusion process over timestep indices 0..numTimesteps-1 of its own (spaced) schedule. */
export interface DiffusionProcess extends DiffusionTables {
  /** number of (spaced) timesteps T */
  numTimesteps: number;
  /** original timestep of each spaced index; the model and the classifier see these */
  timestepMap: number[];
  /** number of steps of the process this one was respaced from */
  originalNumSteps: number;
  /** pass float timesteps scaled to [0, 1000) to the model (timestepMap[t] * 1000 / originalNumSteps) */
  rescaleTimesteps: boolean;
  modelMeanType: ModelMeanType;
  modelVarType: ModelVarType;
  lossType: LossType;
}

/** The types a process is built with. */
export interface ProcessTypes {
  modelMeanType: ModelMeanType;
  modelVarType: ModelVarType;
  lossType: LossType;
  rescaleTimesteps: boolean;
}

/**
 * Build the process that keeps `useTimesteps` of the diffusion with `baseBetas` (guided-diffusion's
 * SpacedDiffusion; keeping every step gives the base process).
 */
export function spacedProcess(baseBetas: Float64Array, useTimesteps: number[], types: ProcessTypes): DiffusionProcess {
  const base = computeDiffusionTables(baseBetas);
  const { betas, timestepMap } = respaceBetas(base.alphasCumprod, useTimesteps);
  if (timestepMap.length !== new Set(useTimesteps).size) {
    throw new Error(`useTimesteps must lie in 0..${baseBetas.length - 1}; got ${useTimesteps.join(",")}`);
  }
  return {
    ...computeDiffusionTables(betas),
    numTimesteps: betas.length,
    timestepMap,
    originalNumSteps: baseBetas.length,
    modelMeanType: types.modelMeanType,
    modelVarType: types.modelVarType,
    lossType: types.lossType,
    rescaleTimesteps: types.rescaleTimesteps,
  };
}
