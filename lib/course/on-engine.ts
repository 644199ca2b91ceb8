/**
 * A diffusion model and its guidance on the engine `chooseEngine` picked: the same tfjs networks
 * (trained course models, or any UNetModel and EncoderUNetModel) as the samplers' model and
 * cond_fn, run by tfjs itself or emitted once to ONNX Runtime. What notebooks and the CLIs call, so
 * that one line switches a whole sampling run between the executors.
 *   const engine = chooseEngine(); console.log(describeEngine(engine));
 *   const model = await unetOnEngine(trained.net, engine);
 *   const guide = await guidanceOnEngine(classifier.net, 10, engine);
 *   await sample(ddim, d, model, shape, { steps: 25, modelKwargs: { y }, condFn: guide.condFn });
 *   await model.dispose(); await guide.dispose();
 */
import * as tf from "@tensorflow/tfjs";
import type { CondFn } from "../diffusion/index";
import { onnxClassifierGradient, onnxModel, type ClassifierSource, type EngineChoice, type EngineOptions, type UNetSource } from "../engine/index";
import { EncoderUNetModel, UNetModel } from "../models/index";
import { classifierCondFn, engineCondFn, type SamplingModel } from "../sampling/index";

/** A UNet as the samplers call it, on one engine; `dispose` frees the engine's session (not the tfjs net). */
export interface EngineUNet extends SamplingModel {
  readonly engine: EngineChoice;
  dispose(): Promise<void>;
}

/** A classifier's guidance gradient s * grad_x log p(y | x_t, t) on one engine. */
export interface EngineGuidance {
  readonly engine: EngineChoice;
  condFn: CondFn;
  dispose(): Promise<void>;
}

function sessionOptions(engine: EngineChoice): EngineOptions {
  return { threads: engine.threads ?? undefined, executionProviders: engine.executionProviders };
}

function tfjsOnly(what: string): Error {
  return new Error(`a ${what} source (weights without a tfjs model) runs on the onnx engine only; build the tfjs model to run it on tfjs`);
}

/**
 * The UNet `net` on `engine`, with its weights as they are now (onnx emits and loads them once); a
 * source such as `engine.unetFromStateDict(config, dict)` runs on onnx without a tfjs model.
 * Labels reach a class-conditional network only, so classifier guidance of an unconditional model
 * can hand its target classes to the sampler in `modelKwargs` (as the course's trained models do).
 */
export async function unetOnEngine(net: UNetModel | UNetSource, engine: EngineChoice): Promise<EngineUNet> {
  const conditional = (net.config.numClasses ?? null) !== null;
  if (engine.name === "tfjs") {
    if (!(net instanceof UNetModel)) throw tfjsOnly("UNet");
    return { engine, forward: (x, t, y) => net.forward(x, t, conditional ? y : undefined), dispose: async () => {} };
  }
  const onnx = await onnxModel(net, sessionOptions(engine));
  return {
    engine,
    forward: async (x, t, y, opts) => (await onnx.forward(x, t, conditional ? y : null, opts)) as tf.Tensor4D,
    dispose: () => onnx.dispose(),
  };
}

/**
 * Classifier guidance at scale `scale` with the noisy classifier `classifier` on `engine`: tf.grad
 * through the tfjs classifier (classifierCondFn), or the engine's graph that holds the gradient
 * (onnxClassifierGradient, engineCondFn). Both give the same gradient (to 1e-4, test/engine).
 */
export async function guidanceOnEngine(classifier: EncoderUNetModel | ClassifierSource, scale: number, engine: EngineChoice): Promise<EngineGuidance> {
  if (engine.name === "tfjs") {
    if (!(classifier instanceof EncoderUNetModel)) throw tfjsOnly("classifier");
    return { engine, condFn: classifierCondFn(classifier, scale), dispose: async () => {} };
  }
  const onnx = await onnxClassifierGradient(classifier, sessionOptions(engine));
  return { engine, condFn: engineCondFn(onnx, scale), dispose: () => onnx.dispose() };
}
