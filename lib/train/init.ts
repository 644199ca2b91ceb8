/**
 * Reproducible initial weights: re-draw every parameter of a model from its own initialiser with a
 * seed derived from (seed, parameter index), so two runs with the same seed start identically.
 */
import * as tf from "@tensorflow/tfjs";
import { initialValue } from "../nn/params";
import type { Module } from "../nn/index";
import { subSeed, STREAM } from "./seed";

export function seedInitialWeights(model: Module, seed: number): void {
  model.specs.forEach((spec, i) => {
    tf.tidy(() => model.params.get(spec.name)!.assign(initialValue(spec, subSeed(seed, STREAM.init, i))));
  });
}
