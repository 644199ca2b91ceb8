/**
 * Training steps on ONNX Runtime: the training graph of an objective (./training-graph) emitted once
 * for a batch size and loaded once into a worker's session; each `step` feeds the batch, the current
 * parameters and the dropout masks, and returns the loss terms and the gradients as typed arrays.
 * The optimizer stays with the caller (lib/train).
 */
import { resolveEncoderConfig } from "../models/index";
import type { DropoutMasks } from "../nn/index";
import { serializeGraph } from "./serialize";
import { createSession, OnnxTensor, SessionOptions } from "./session";
import { DropoutInput, emitTrainingGraph, TrainingObjective } from "./training-graph";

/** One batch as typed arrays: images NHWC, as lib/train draws them. */
export interface TrainingBatch {
  /** x_0, `[N, H, W, C]` in [-1, 1] */
  xStart: Float32Array;
  /** eps for q_sample (diffusion, noised classifier) */
  noise?: Float32Array;
  /** timestep indices of the diffusion (diffusion, noised classifier) */
  t?: Int32Array;
  /** labels (class-conditional diffusion: after label dropout; classifiers) */
  y?: Int32Array;
  /** importance weights of the timesteps (diffusion) */
  weights?: Float32Array;
}

export interface TrainingStepResult {
  /** the scalar minimised */
  loss: number;
  /** per-example losses (diffusion), what a loss-aware timestep sampler learns from; null for classifiers */
  losses: Float32Array | null;
  /** batch means reported beside the loss: mse and vb (diffusion), accuracy (classifiers) */
  extras: Record<string, number>;
  /** d loss / d parameter, our layout, for the parameters the loss reads */
  grads: Map<string, Float32Array>;
}

export interface EngineTrainer {
  readonly threads: number;
  readonly executionProviders: readonly string[];
  readonly objective: TrainingObjective;
  readonly batchSize: number;
  /** parameter names and shapes (our layout), state_dict order */
  readonly params: readonly { name: string; shape: number[] }[];
  /** dropout masks the graph reads, in the order the network applies them */
  readonly dropout: readonly DropoutInput[];
  /**
   * Loss and gradients of one batch at `params` (every parameter by name, our layout); `masks` draws
   * the dropout masks (required when the network has dropout).
   */
  step(batch: TrainingBatch, params: ReadonlyMap<string, Float32Array>, masks?: DropoutMasks | null): Promise<TrainingStepResult>;
  dispose(): Promise<void>;
}

function mean(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

/** Fraction of rows of `logits` `[N, K]` whose largest entry (the first, on ties) is at the label. */
function accuracy(logits: Float32Array, y: Int32Array, k: number): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
    if (best === y[i]) correct++;
  }
  return correct / y.length;
}

/** Emit the objective's training graph for `batchSize` and load it into a worker session. */
export async function onnxTrainer(objective: TrainingObjective, batchSize: number, opts: SessionOptions = {}): Promise<EngineTrainer> {
  const emitted = emitTrainingGraph(objective, batchSize);
  const { graph, params, dropout, withGradient } = emitted;
  const inputs = new Map(graph.inputs.map((i) => [i.name, i.shape as number[]]));
  const session = await createSession(serializeGraph(graph, `train-${objective.kind}`), { ...opts, transfer: true });
  const who = `training step (ONNX, ${objective.kind})`;
  const classes = objective.kind === "classifier" ? resolveEncoderConfig(objective.network).outChannels : 0;

  const feed = (name: string, data: Float32Array | Int32Array | undefined, what: string): OnnxTensor | null => {
    const dims = inputs.get(name);
    if (!dims) {
      if (data) throw new Error(`${who}: the batch has ${what}, which this objective does not read`);
      return null;
    }
    if (!data) throw new Error(`${who}: the batch needs ${what}`);
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`${who}: ${what} must hold ${size} values ([${dims}], batch ${batchSize}), got ${data.length}`);
    return data instanceof Int32Array
      ? { type: "int64", data: BigInt64Array.from(data, (v) => BigInt(v)), dims }
      : { type: "float32", data, dims };
  };

  return {
    threads: session.threads, executionProviders: session.executionProviders, objective, batchSize, params, dropout,
    async step(batch, values, masks) {
      const feeds: Record<string, OnnxTensor> = {};
      const parts: [string, Float32Array | Int32Array | undefined, string][] = [
        ["x_start", batch.xStart, "x_start (the images)"], ["noise", batch.noise, "noise"], ["t", batch.t, "timesteps t"],
        ["y", batch.y, "labels y"], ["weights", batch.weights, "importance weights"],
      ];
      for (const [name, data, what] of parts) {
        const f = feed(name, data, what);
        if (f) feeds[name] = f;
      }
      for (const p of params) {
        const v = values.get(p.name);
        if (!v) throw new Error(`${who}: no value for parameter ${p.name}`);
        feeds[p.name] = { type: "float32", data: v, dims: p.shape };
      }
      if (dropout.length && !masks) throw new Error(`${who}: the network has dropout; pass the masks (lib/train draws them from the step's random stream)`);
      for (const d of dropout) feeds[d.input] = { type: "float32", data: masks!(d.block, d.shape, d.rate), dims: d.shape };
      const out = await session.run(feeds);
      const f32 = (name: string) => out[name].data as Float32Array;
      const grads = new Map<string, Float32Array>();
      for (const name of withGradient) grads.set(name, f32(`grad:${name}`));
      const loss = f32("loss")[0];
      if (objective.kind === "classifier") {
        return { loss, losses: null, extras: { accuracy: accuracy(f32("logits"), batch.y as Int32Array, classes) }, grads };
      }
      const extras: Record<string, number> = {};
      if (out.mse) extras.mse = mean(f32("mse"));
      if (out.vb) extras.vb = mean(f32("vb"));
      return { loss, losses: f32("losses"), extras, grads };
    },
    dispose: () => session.dispose(),
  };
}
