/**
 * One training step as one ONNX graph: the batch and the parameters in, the loss terms and every
 * parameter's gradient out. The network is the plan of lib/models walked by the same walker as
 * tfjs (./emit-layers), its parameters graph inputs (so the session is built once and the weights
 * change every step); the objective is the diffusion's training loss (./emit-losses) or a
 * classifier's cross-entropy on noised or clean images; the gradients come from reverse mode
 * (./reverse-mode). Dropout multiplies by keep-masks fed as inputs, drawn by lib/train from the
 * step's random stream, so that tfjs and the engine drop the same units.
 *
 * Inputs (batch N fixed when the graph is emitted): `x_start` and `noise` NHWC float32, `t` int64
 * timestep indices, `y` int64 labels, `weights` float32 importance weights, one input per parameter
 * (our layout: conv HWIO, linear `[in, out]`), one per dropout mask (NHWC).
 * Outputs: `loss` (the scalar minimised), per example `losses`, `mse`, `vb` (diffusion) or `logits`
 * (classifier), and `grad:<parameter>` in the parameter's layout.
 */
import type { GaussianDiffusion } from "../diffusion/index";
import {
  EncoderUNetConfig,
  encoderParamSpecs,
  planEncoder,
  planUNet,
  resolveEncoderConfig,
  resolveUNetConfig,
  UNetConfig,
  unetParamSpecs,
  walkEncoder,
  walkUNet,
} from "../models/index";
import type { ParamSpec } from "../nn/index";
import { GraphBuilder } from "./graph";
import { onnxExecutor } from "./emit-layers";
import { diffusionGraph, emitCrossEntropy, emitQSample, emitTrainingLosses } from "./emit-losses";
import { EmitContext, Value } from "./emit-ops";
import { appendGradients } from "./reverse-mode";
import { inferShapes } from "./shapes";

/** What a training graph minimises: a diffusion model's training loss, or a classifier's cross-entropy. */
export type TrainingObjective =
  | { kind: "diffusion"; network: UNetConfig; diffusion: GaussianDiffusion }
  /** `diffusion`: train on x_t ~ q(x_t | x_0) at the batch's t (the noisy classifier); null: on clean images at t = 0 */
  | { kind: "classifier"; network: EncoderUNetConfig; diffusion: GaussianDiffusion | null };

/** A dropout mask input: the ResBlock it belongs to, its NHWC shape and rate. */
export interface DropoutInput {
  block: string;
  input: string;
  shape: number[];
  rate: number;
}

export interface TrainingGraph {
  graph: GraphBuilder;
  objective: TrainingObjective;
  batchSize: number;
  /** parameter inputs in state_dict order, shapes in our layout */
  params: { name: string; shape: number[] }[];
  /** the parameters that have a gradient output `grad:<name>` (a parameter the loss never reads has none) */
  withGradient: string[];
  /** dropout mask inputs in the order the network applies them */
  dropout: DropoutInput[];
  /** the outputs other than the gradients */
  outputs: string[];
}

/** Parameters as graph inputs named by state_dict name; dropout masks as inputs declared where a ResBlock needs one. */
function inputContext(g: GraphBuilder, specs: readonly ParamSpec[], dropout: DropoutInput[]): EmitContext {
  const byName = new Map(specs.map((s) => [s.name, g.input(s.name, "float32", s.shape)]));
  const input = (name: string): string => {
    const v = byName.get(name);
    if (!v) throw new Error(`training graph: the network reads ${name}, which is not one of its parameters`);
    return v;
  };
  return {
    g,
    param: (name, dims) => {
      const spec = specs.find((s) => s.name === name)!;
      return dims ? g.node("Reshape", [input(name), g.ints(dims(spec.shape))], {}, `${name}.reshaped`) : input(name);
    },
    convWeight: (name) => {
      const [kh, kw] = specs.find((s) => s.name === name)?.shape ?? [];
      return { value: g.node("Transpose", [input(name)], { perm: [3, 2, 0, 1] }, `${name}.oihw`), kernel: [kh, kw] };
    },
    dropoutMask: (block, h, rate) => {
      const [n, c, height, width] = inferShapes(g).get(h.name) as number[];
      const shape = [n, height, width, c];
      const name = g.input(`dropout:${block}`, "float32", shape);
      dropout.push({ block, input: name, shape, rate });
      return g.node("Transpose", [name], { perm: [0, 3, 1, 2] }, `${block}.keep_mask`);
    },
  };
}

/** The model timesteps of each index t, as lib/diffusion's modelTimesteps: timestepMap[t], rescaled to [0, 1000) if asked. */
function modelTimesteps(d: GaussianDiffusion): Float32Array {
  const scale = Math.fround(1000 / d.originalNumSteps);
  return Float32Array.from(d.timestepMap, (k) => (d.rescaleTimesteps ? Math.fround(k) * scale : k));
}

/** Emit the training graph of `objective` for batches of `batchSize`. */
export function emitTrainingGraph(objective: TrainingObjective, batchSize: number): TrainingGraph {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`emitTrainingGraph: batchSize must be a positive integer, got ${batchSize}`);
  const n = batchSize;
  const g = new GraphBuilder();
  const dropout: DropoutInput[] = [];
  const outputs: string[] = [];
  const out = (name: string, value: string, shape: number[]) => {
    g.output(name, value, "float32", shape);
    outputs.push(name);
  };
  const image = (name: string, size: number, channels: number) =>
    g.node("Transpose", [g.input(name, "float32", [n, size, size, channels])], { perm: [0, 3, 1, 2] }, `${name}_nchw`);
  let specs: ParamSpec[];
  let loss: string;
  let frozen: string[] = [];
  if (objective.kind === "diffusion") {
    const c = resolveUNetConfig(objective.network);
    const d = objective.diffusion;
    const learned = d.modelVarType === "learned" || d.modelVarType === "learned_range";
    if (c.outChannels !== (learned ? 2 : 1) * c.inChannels) {
      throw new Error(
        `emitTrainingGraph: the UNet outputs ${c.outChannels} channels, but modelVarType ${d.modelVarType} needs ${(learned ? 2 : 1) * c.inChannels} ` +
          (learned ? "(eps then v: set outChannels to twice inChannels, or learnSigma false)" : "(set learnSigma true for a model with 2C outputs)"),
      );
    }
    const plan = planUNet(c);
    specs = unetParamSpecs(c, plan);
    const ctx = inputContext(g, specs, dropout);
    const x0 = image("x_start", c.imageSize, c.inChannels);
    const noise = image("noise", c.imageSize, c.inChannels);
    const dg = diffusionGraph(g, objective.diffusion, g.input("t", "int64", [n]));
    const y: Value | null = c.numClasses !== null ? { name: g.input("y", "int64", [n]), rank: 1 } : null;
    const xt = emitQSample(dg, x0, noise);
    const tModel = g.node(
      "Gather",
      [g.initializer("model_timesteps", modelTimesteps(objective.diffusion), [objective.diffusion.numTimesteps]), dg.t],
      { axis: 0 },
      "t_model",
    );
    const output = walkUNet(plan, onnxExecutor(ctx), { name: xt, rank: 4 }, { name: tModel, rank: 1 }, y).name;
    const terms = emitTrainingLosses(dg, output, x0, xt, noise);
    frozen = terms.frozen;
    // the importance-weighted mean over the batch (TrainLoop.forward_backward)
    loss = g.node("ReduceMean", [g.node("Mul", [terms.loss, g.input("weights", "float32", [n])])], { axes: [0], keepdims: 0 }, "loss");
    out("losses", terms.loss, [n]);
    if (terms.mse) out("mse", terms.mse, [n]);
    if (terms.vb) out("vb", terms.vb, [n]);
  } else {
    const c = resolveEncoderConfig(objective.network);
    const plan = planEncoder(c);
    specs = encoderParamSpecs(c, plan);
    const ctx = inputContext(g, specs, dropout);
    let x = image("x_start", c.imageSize, c.inChannels);
    let t: string;
    if (objective.diffusion) {
      const dg = diffusionGraph(g, objective.diffusion, g.input("t", "int64", [n]));
      x = emitQSample(dg, x, image("noise", c.imageSize, c.inChannels));
      // the classifier sees the timestep index itself, as lib/train's classifier task passes it
      t = g.node("Cast", [dg.t], { to: 1 }, "t_float");
    } else {
      t = g.floats(new Array(n).fill(0), [n]);
    }
    const logits = walkEncoder(plan, onnxExecutor(ctx), { name: x, rank: 4 }, { name: t, rank: 1 }).name;
    loss = emitCrossEntropy(g, logits, g.input("y", "int64", [n]), c.outChannels);
    out("logits", logits, [n, c.outChannels]);
  }
  const grads = appendGradients(g, { output: loss, seed: (gb) => gb.floats([1]), wrt: specs.map((s) => s.name), constants: new Set(frozen) });
  out("loss", loss, []);
  const withGradient: string[] = [];
  for (const s of specs) {
    const grad = grads.get(s.name);
    if (!grad) continue;
    g.output(`grad:${s.name}`, grad, "float32", s.shape);
    withGradient.push(s.name);
  }
  return { graph: g, objective, batchSize: n, params: specs.map((s) => ({ name: s.name, shape: s.shape.slice() })), withGradient, dropout, outputs };
}
