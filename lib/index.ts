/**
 * adm-ts: the public API, one namespace per folder of lib/ (see lib/README.md), plus what a
 * notebook's first cell needs. Notebooks import from here:
 *   import { initBackend, isFast, diffusion, sampling, engine, viz } from "./lib/index";
 */
export { initBackend, BACKEND_NAMES, type BackendChoice, type BackendName } from "./backend";
export { isFast, fastOr } from "./course/fast-mode";
export * as data from "./data/index";
export * as nn from "./nn/index";
export * as diffusion from "./diffusion/index";
export * as sampling from "./sampling/index";
export * as models from "./models/index";
export * as engine from "./engine/index";
export * as io from "./io/index";
export * as train from "./train/index";
export * as metrics from "./metrics/index";
export * as viz from "./viz/index";
export * as course from "./course/index";
export * as toy from "./toy/index";
