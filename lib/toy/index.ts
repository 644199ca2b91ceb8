/**
 * lib/toy: 2-D data, a tiny MLP, one small model per generative family (notebooks 01-02), and an exact classifier-guidance toy (notebook 08).
 */
export { twoMoons, swissRoll, gaussianClasses, subset, ofClass, split, standardize, uniformBox, coord, meanNearestDistance } from "./data";
export type { Points, ClassSpec } from "./data";
export { fitGaussian, gaussianLogPdf, sampleGaussian, fitGaussianClasses, jointLogProb, posterior, posteriorOf, logDensity, sampleClass } from "./gaussian";
export type { Gaussian2, GaussianClassModel } from "./gaussian";
export { mlp, variableOf, activate, countParams, mapPoints, normalTensor } from "./mlp";
export type { Mlp, MlpOptions, Activation } from "./mlp";
export { optimizer, minimize, trainSteps, batchOf } from "./train";
export type { Optimizer, StepScalars, TrainOptions, TrainReport, LogEntry, ToyGenerator } from "./train";
export { trainClassifier } from "./classifier";
export type { Classifier } from "./classifier";
export { createVae, vaeTerms, trainVae } from "./vae";
export type { Vae, VaeOptions } from "./vae";
export { createGan, ganLosses, nonSaturatingLosses, trainGan } from "./gan";
export type { Gan, GanOptions } from "./gan";
export { createFlow, trainFlow } from "./flow";
export type { Flow, FlowOptions, Coupling } from "./flow";
export { createAutoregressive, mixtureLogProb, trainAutoregressive } from "./autoregressive";
export type { Autoregressive, AutoregressiveOptions } from "./autoregressive";
export { langevin, langevinStep, createEbm, trainEbm } from "./ebm";
export type { Ebm, EbmOptions, LangevinOptions } from "./ebm";
export { createDdpm, trainDdpm } from "./ddpm";
export type { ToyDdpm, DdpmOptions } from "./ddpm";
export { scatter, grid2d, gridRows, heatmap, contourLine, panels, latentGrid } from "./plots";
export type { Grid2D, Panel } from "./plots";
export { createGaussianGuidanceToy } from "./guidance";
export type { GaussianGuidanceToy, GaussianGuidanceToyOptions } from "./guidance";
export { checkPosterior, checkLogisticStep, checkMixtureLogProb, checkGanLosses, checkLangevinStep, type ToyCheckOptions } from "./exercise-checks";
