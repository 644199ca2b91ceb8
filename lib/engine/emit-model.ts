/**
 * UNetModel and EncoderUNetModel as ONNX graphs: the plan of lib/models walked by the same
 * `walkUNet` / `walkEncoder` as tfjs, with the ONNX executor (./emit-layers) and the model's current
 * weights. Graph inputs: `x` float32 NHWC `[N, H, W, C]` (the library's layout; transposed to NCHW
 * inside), `t` float32 `[N]` (timesteps, fractional allowed), `y` int64 `[N]` when class-conditional.
 * Outputs: `out` NHWC `[N, H, W, outChannels]` (UNet) or `logits` `[N, classes]` (classifier), and
 * for guidance also `grad` NHWC, d/dx sum_i log p(y_i | x_i, t_i).
 */
import {
  EncoderUNetConfig,
  EncoderUNetModel,
  encoderParamSpecs,
  planEncoder,
  planUNet,
  resolveEncoderConfig,
  resolveUNetConfig,
  UNetConfig,
  UNetModel,
  unetParamSpecs,
  walkEncoder,
  walkUNet,
} from "../models/index";
import { StateDict } from "../io/tensor-record";
import { GraphBuilder } from "./graph";
import { onnxExecutor } from "./emit-layers";
import { appendInputGradient } from "./reverse-mode";
import { EmitContext, initializerContext, Value } from "./emit-ops";
import { paramsWeights, stateDictWeights, WeightSource } from "./weights";

/** A network to emit without a tfjs model: its config and where its weights are. */
export type UNetSource = { kind: "unet"; config: UNetConfig; weights: WeightSource };
export type ClassifierSource = { kind: "classifier"; config: EncoderUNetConfig; weights: WeightSource };

/** A checkpoint's state_dict as a UNet source, checked against the config's parameters first. */
export function unetFromStateDict(config: UNetConfig, dict: StateDict, source?: string): UNetSource {
  return { kind: "unet", config, weights: stateDictWeights(dict, unetParamSpecs(resolveUNetConfig(config)), source) };
}

/** A classifier checkpoint's state_dict as a source, checked against the config's parameters first. */
export function classifierFromStateDict(config: EncoderUNetConfig, dict: StateDict, source?: string): ClassifierSource {
  return { kind: "classifier", config, weights: stateDictWeights(dict, encoderParamSpecs(resolveEncoderConfig(config)), source) };
}

/** A graph ready to serialise, and what its inputs and output are. */
export interface EmittedModel {
  kind: "unet" | "classifier";
  graph: GraphBuilder;
  /** x is `[N, imageSize, imageSize, inChannels]` */
  imageSize: number;
  inChannels: number;
  outChannels: number;
  /** the graph takes labels y */
  conditional: boolean;
  /** names of the graph outputs */
  outputs: string[];
}

/** Graph inputs x (NHWC, transposed to NCHW) and t; the batch dimension is symbolic ("N"). */
function inputs(g: GraphBuilder, imageSize: number, inChannels: number): { x: Value; t: Value } {
  const x = g.input("x", "float32", ["N", imageSize, imageSize, inChannels]);
  const t = g.input("t", "float32", ["N"]);
  return { x: { name: g.node("Transpose", [x], { perm: [0, 3, 1, 2] }, "x_nchw"), rank: 4 }, t: { name: t, rank: 1 } };
}

/** The UNet's forward graph (dropout off), from a tfjs model's current weights or a source. */
export function emitUNet(model: UNetModel | UNetSource): EmittedModel {
  const c = model instanceof UNetModel ? model.config : resolveUNetConfig(model.config);
  const plan = model instanceof UNetModel ? model.plan : planUNet(c);
  const g = new GraphBuilder();
  const ctx: EmitContext = initializerContext(g, model instanceof UNetModel ? paramsWeights(model.params) : model.weights);
  const { x, t } = inputs(g, c.imageSize, c.inChannels);
  const conditional = c.numClasses !== null;
  const y: Value | null = conditional ? { name: g.input("y", "int64", ["N"]), rank: 1 } : null;
  const out = walkUNet(plan, onnxExecutor(ctx), x, t, y);
  const nhwc = g.node("Transpose", [out.name], { perm: [0, 2, 3, 1] }, "out_nhwc");
  g.output("out", nhwc, "float32", ["N", c.imageSize, c.imageSize, c.outChannels]);
  return { kind: "unet", graph: g, imageSize: c.imageSize, inChannels: c.inChannels, outChannels: c.outChannels, conditional, outputs: ["out"] };
}

function classifierGraph(model: EncoderUNetModel | ClassifierSource): { g: GraphBuilder; c: ReturnType<typeof resolveEncoderConfig> } {
  const c = model instanceof EncoderUNetModel ? model.config : resolveEncoderConfig(model.config);
  const plan = model instanceof EncoderUNetModel ? model.plan : planEncoder(c);
  const weights = model instanceof EncoderUNetModel ? paramsWeights(model.params) : model.weights;
  const g = new GraphBuilder();
  const { x, t } = inputs(g, c.imageSize, c.inChannels);
  const logits = walkEncoder(plan, onnxExecutor(initializerContext(g, weights)), x, t);
  g.output("logits", logits.name, "float32", ["N", c.outChannels]);
  return { g, c };
}

/** The noisy classifier's logits graph, from a tfjs model's current weights or a source. */
export function emitClassifier(model: EncoderUNetModel | ClassifierSource): EmittedModel {
  const { g, c } = classifierGraph(model);
  return {
    kind: "classifier",
    graph: g,
    imageSize: c.imageSize,
    inChannels: c.inChannels,
    outChannels: c.outChannels,
    conditional: false,
    outputs: ["logits"],
  };
}

/**
 * Classifier guidance in one graph: the logits and grad_x sum_i log p(y_i | x_i, t_i), the gradient
 * classifier_sample.py's cond_fn takes (before its classifier_scale), by reverse mode through the
 * logits graph. With l = logits, d/dl sum_i log_softmax(l_i)[y_i] = onehot(y) - softmax(l).
 */
export function emitClassifierGradient(model: EncoderUNetModel | ClassifierSource): EmittedModel {
  const { g, c } = classifierGraph(model);
  const y = g.input("y", "int64", ["N"]);
  const grad = appendInputGradient(g, "x", "logits", (gb) => {
    const onehot = gb.node("OneHot", [y, gb.ints([c.outChannels]), gb.floats([0, 1], [2])], { axis: -1 }, "onehot_y");
    return gb.node("Sub", [onehot, gb.node("Softmax", ["logits"], { axis: -1 }, "p")], {}, "dlogp_dlogits");
  });
  g.output("grad", grad, "float32", ["N", c.imageSize, c.imageSize, c.inChannels]);
  return {
    kind: "classifier",
    graph: g,
    imageSize: c.imageSize,
    inChannels: c.inChannels,
    outChannels: c.outChannels,
    conditional: true,
    outputs: ["logits", "grad"],
  };
}
