/** Checkpoint and array IO: PyTorch .pt (restricted unpickler), safetensors, npy/npz, state_dict <-> model. */
export * from "./tensor-record";
export * from "./torch-checkpoint";
export * from "./safetensors";
export * from "./npy";
export * from "./npz";
export * from "./state-dict";
export * from "./read-state-dict";
export type { KeyMismatch } from "./load-hints";
