/**
 * Training steps on ONNX Runtime: the training graph of an objective (./training-graph) emitted once
 * for a batch size and loaded once into worker sessions; each `step` feeds the batch, the current
 * parameters and the dropout masks, and returns the loss terms and the gradients as typed arrays.
 * The optimizer stays with the caller (lib/train).
 *
 * Data parallel: with several workers the batch is split between as many sessions, each on its own
 * thread, and their losses and gradients are combined weighted by their share of the batch (the
 * loss is a mean over examples, so this is the whole batch's loss and gradient). The course's small
 * convolutions split poorly across the threads of one session; whole examples split evenly.
 */
import { resolveEncoderConfig } from "../models/index";
import type { DropoutMasks } from "../nn/index";
import { serializeGraph } from "./serialize";
import { createSession, defaultThreads, OnnxTensor, SessionOptions } from "./session";
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

export interface TrainerOptions extends SessionOptions {
  /** sessions the batch is split between (default: one per thread, at most one per example); each gets threads / workers threads */
  workers?: number;
}

/** What one session returns for its part of the batch. */
interface ShardResult {
  loss: number;
  grads: Map<string, Float32Array>;
  outputs: Record<string, Float32Array>;
}

/** One session of the training graph for batches of `batchSize`. */
async function shard(objective: TrainingObjective, batchSize: number, opts: SessionOptions) {
  const emitted = emitTrainingGraph(objective, batchSize);
  const { graph, params, dropout, withGradient, outputs } = emitted;
  const inputs = new Map(graph.inputs.map((i) => [i.name, i.shape as number[]]));
  const session = await createSession(serializeGraph(graph, `train-${objective.kind}`), { ...opts, transfer: true });
  const who = `training step (ONNX, ${objective.kind})`;

  const feed = (name: string, data: Float32Array | Int32Array | undefined, what: string): OnnxTensor | null => {
    const dims = inputs.get(name);
    if (!dims) {
      if (data) throw new Error(`${who}: the batch has ${what}, which this objective does not read`);
      return null;
    }
    if (!data) throw new Error(`${who}: the batch needs ${what}`);
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`${who}: ${what} must hold ${size} values ([${dims}]), got ${data.length}`);
    return data instanceof Int32Array ? { type: "int64", data: BigInt64Array.from(data, (v) => BigInt(v)), dims } : { type: "float32", data, dims };
  };

  return {
    session,
    params,
    dropout,
    async run(batch: TrainingBatch, values: ReadonlyMap<string, Float32Array>, masks: Float32Array[]): Promise<ShardResult> {
      const feeds: Record<string, OnnxTensor> = {};
      const parts: [string, Float32Array | Int32Array | undefined, string][] = [
        ["x_start", batch.xStart, "x_start (the images)"],
        ["noise", batch.noise, "noise"],
        ["t", batch.t, "timesteps t"],
        ["y", batch.y, "labels y"],
        ["weights", batch.weights, "importance weights"],
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
      dropout.forEach((d, i) => (feeds[d.input] = { type: "float32", data: masks[i], dims: d.shape }));
      const out = await session.run(feeds);
      const grads = new Map<string, Float32Array>();
      for (const name of withGradient) grads.set(name, out[`grad:${name}`].data as Float32Array);
      const named: Record<string, Float32Array> = {};
      for (const name of outputs) named[name] = out[name].data as Float32Array;
      return { loss: named.loss[0], grads, outputs: named };
    },
  };
}

/** `n` examples split between `parts` shards as evenly as possible (the first ones one larger). */
function splitBatch(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

/** Examples [from, from + count) of a batch: views of its arrays. */
function sliceBatch(b: TrainingBatch, from: number, count: number, perImage: number): TrainingBatch {
  const rows = <T extends Float32Array | Int32Array>(a: T | undefined, per: number): T | undefined =>
    a ? (a.subarray(from * per, (from + count) * per) as T) : undefined;
  return { xStart: rows(b.xStart, perImage)!, noise: rows(b.noise, perImage), t: rows(b.t, 1), y: rows(b.y, 1), weights: rows(b.weights, 1) };
}

/** Emit the objective's training graph and load it into `workers` sessions, each for its share of `batchSize`. */
export async function onnxTrainer(objective: TrainingObjective, batchSize: number, opts: TrainerOptions = {}): Promise<EngineTrainer> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`onnxTrainer: batchSize must be a positive integer, got ${batchSize}`);
  const threads = opts.threads ?? defaultThreads();
  const workers = Math.min(opts.workers ?? threads, batchSize);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`onnxTrainer: workers must be a positive integer, got ${opts.workers}`);
  const sizes = splitBatch(batchSize, workers);
  const shards = await Promise.all(sizes.map((n) => shard(objective, n, { ...opts, threads: Math.max(1, Math.floor(threads / workers)) })));
  const { params, dropout } = shards[0];
  const network = objective.network;
  const perImage = network.imageSize * network.imageSize * network.inChannels;
  const classes = objective.kind === "classifier" ? resolveEncoderConfig(objective.network).outChannels : 0;
  const who = `training step (ONNX, ${objective.kind})`;
  /** the whole batch's dropout masks, NHWC with the batch outermost: one contiguous run of rows per shard */
  const fullShape = (shape: number[]) => [batchSize, ...shape.slice(1)];

  return {
    threads,
    executionProviders: shards[0].session.executionProviders,
    objective,
    batchSize,
    params,
    dropout: dropout.map((d) => ({ ...d, shape: fullShape(d.shape) })),
    async step(batch, values, masks) {
      if (batch.xStart.length !== batchSize * perImage)
        throw new Error(`${who}: x_start must hold ${batchSize * perImage} values (batch ${batchSize}), got ${batch.xStart.length}`);
      if (dropout.length && !masks) throw new Error(`${who}: the network has dropout; pass the masks (lib/train draws them from the step's random stream)`);
      const full = dropout.map((d) => masks!(d.block, fullShape(d.shape), d.rate));
      let from = 0;
      const results = await Promise.all(
        shards.map((s, i) => {
          const n = sizes[i];
          const per = (d: { shape: number[] }) => d.shape.slice(1).reduce((a, b) => a * b, 1);
          const shardMasks = s.dropout.map((d, k) => full[k].subarray(from * per(d), (from + n) * per(d)));
          const part = s.run(sliceBatch(batch, from, n, perImage), values, shardMasks);
          from += n;
          return part;
        }),
      );
      // the batch's mean loss and its gradient: each shard's weighted by its share of the batch
      let loss = 0;
      const grads = new Map<string, Float32Array>();
      results.forEach((r, i) => {
        const share = sizes[i] / batchSize;
        loss += share * r.loss;
        for (const [name, g] of r.grads) {
          const sum = grads.get(name);
          if (!sum) grads.set(name, workers === 1 ? g : g.map((v) => v * share));
          else for (let j = 0; j < g.length; j++) sum[j] += g[j] * share;
        }
      });
      const joined = (name: string): Float32Array | null => {
        if (!results[0].outputs[name]) return null;
        const parts = results.map((r) => r.outputs[name]);
        const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
        let at = 0;
        for (const p of parts) {
          out.set(p, at);
          at += p.length;
        }
        return out;
      };
      if (objective.kind === "classifier") {
        return { loss, losses: null, extras: { accuracy: accuracy(joined("logits")!, batch.y as Int32Array, classes) }, grads };
      }
      const extras: Record<string, number> = {};
      const mse = joined("mse"),
        vb = joined("vb");
      if (mse) extras.mse = mean(mse);
      if (vb) extras.vb = mean(vb);
      return { loss, losses: joined("losses"), extras, grads };
    },
    dispose: async () => {
      await Promise.all(shards.map((s) => s.session.dispose()));
    },
  };
}
