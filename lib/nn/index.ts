/** Layers of ADM (guided-diffusion), parameters keyed by its state_dict names, NHWC float32. */
export * from "./params";
export * from "./module";
export * from "./linear";
export * from "./conv";
export * from "./group-norm";
export * from "./silu";
export * from "./embedding";
export * from "./timestep-embedding";
export * from "./resample";
export * from "./resblock";
export * from "./qkv-attention";
export * from "./attention-block";
export * from "./attention-pool";
