/** Checkpoint and array IO: PyTorch .pt (restricted unpickler), safetensors, npy/npz, state_dict <-> model, resumable checked downloads. */
export { AdmInputError } from "./errors";
export type { InputProblem } from "./errors";
export { DEFAULT_LOAD_LIMITS, EXPANSION_ALLOWANCE, formatBytes } from "./limits";
export type { LoadLimits } from "./limits";
export * from "./tensor-record";
export * from "./torch-checkpoint";
export * from "./safetensors";
export * from "./npy";
export * from "./npz";
export * from "./state-dict";
export * from "./read-state-dict";
export { atomicWrite, commitInOrder, ensureDir, prepareOutput, removeStaleTemps, stageAll, stageBytes, stageFile, writeFileAtomic } from "./write-files";
export type { StagedFile } from "./write-files";
export type { KeyMismatch } from "./load-hints";
export * from "./download";
export * from "./hashed-weights";
