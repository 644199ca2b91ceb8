/**
 * adm-ts: the public API. Notebooks and scripts import from here (`import { ... } from "./lib"`).
 */
export { initBackend, BACKEND_NAMES } from "./backend";
export type { BackendChoice, BackendName } from "./backend";
export { readIdx, parseIdx } from "./data/idx";
export type { IdxArray } from "./data/idx";
export { loadFashionMnist, toSignedImages, fashionMnistDirs, FASHION_CLASSES } from "./data/fashion-mnist";
export type { LabeledImages, LoadOptions, Split } from "./data/fashion-mnist";
export { displayBundle, inNotebook, showMarkdown, showHtml } from "./viz/display";
export type { MimeBundle } from "./viz/display";
export { plot, plotlyBundle, plotlyHtml } from "./viz/plot";
export type { Figure, PlotOptions } from "./viz/plot";
export { imageGridPng, showImages } from "./viz/images";
export type { GridOptions, ImageBatch } from "./viz/images";
export { livePlot } from "./viz/live";
export type { LivePlot } from "./viz/live";
export { progress, progressLine, formatDuration } from "./viz/progress";
export type { Progress, ProgressOptions, ProgressState } from "./viz/progress";
export * from "./diffusion/index";
export * from "./sampling/index";
export * from "./models/index";
export * from "./io/index";
export * as nn from "./nn/index";
export * from "./train/index";
export * from "./metrics/index";
export * from "./viz/curves";
export * as toy from "./toy/index";
export * from "./course/index";
