/**
 * A UNetModel or noisy classifier on ONNX Runtime: emitted once from the model's plan and current
 * weights, loaded once into a worker's session, then `forward` as often as needed. `run` takes and
 * returns typed arrays; `forward` is the thin tfjs adapter (tensors in, a tensor out).
 */
import * as tf from "@tensorflow/tfjs";
import { EncoderUNetModel, UNetModel } from "../models/index";
import { ClassifierSource, emitClassifier, emitClassifierGradient, emitUNet, EmittedModel, UNetSource } from "./emit-model";
import { serializeGraph, SerializeOptions } from "./serialize";
import { createSession, OnnxSession, RunOptions, SessionOptions } from "./session";

export type EngineOptions = SessionOptions & Pick<SerializeOptions, "externalData">;

/** Images NHWC, row-major, with their shape. */
export interface ImageArray {
  data: Float32Array;
  shape: [number, number, number, number];
}

export interface EngineModel {
  readonly kind: "unet" | "classifier";
  readonly threads: number;
  readonly executionProviders: readonly string[];
  /**
   * @param x `[N, H, W, C]` NHWC float32, H = W = the model's image size
   * @param t `[N]` timesteps (fractional allowed)
   * @param y `[N]` integer labels, exactly when the model is class-conditional
   * @returns the UNet's `[N, H, W, outChannels]` or the classifier's logits `[N, classes]`
   */
  run(x: ImageArray, t: ArrayLike<number>, y?: ArrayLike<number> | null, opts?: RunOptions): Promise<{ data: Float32Array; shape: number[] }>;
  /** `run` on tfjs tensors (x NHWC float32; t and y int32 or float32); the caller owns the result */
  forward(x: tf.Tensor4D, t: tf.Tensor1D, y?: tf.Tensor1D | null, opts?: RunOptions): Promise<tf.Tensor>;
  /** release the session and end its worker */
  dispose(): Promise<void>;
}

/** What an emitted graph takes and gives, without the graph. */
type Meta = Omit<EmittedModel, "graph">;

function checkInputs(e: Meta, x: ImageArray, t: ArrayLike<number>, y: ArrayLike<number> | null | undefined): void {
  const who = `${e.kind} (ONNX)`;
  const [n, h, w, c] = x.shape;
  if (x.shape.length !== 4 || h !== e.imageSize || w !== e.imageSize || c !== e.inChannels) {
    throw new Error(`${who}: x must be NHWC [N, ${e.imageSize}, ${e.imageSize}, ${e.inChannels}], got [${x.shape}]`);
  }
  if (x.data.length !== n * h * w * c) throw new Error(`${who}: x has ${x.data.length} values, its shape [${x.shape}] needs ${n * h * w * c}`);
  if (t.length !== n) throw new Error(`${who}: t must hold ${n} timesteps (one per image), got ${t.length}`);
  const hasY = y !== undefined && y !== null;
  if (hasY !== e.conditional) {
    throw new Error(e.conditional ? `${who}: this graph reads labels: pass y, ${n} integers` : `${who}: this model is unconditional: do not pass y`);
  }
  if (hasY && y.length !== n) throw new Error(`${who}: y must hold ${n} labels, got ${y.length}`);
}

type Feeds = Parameters<OnnxSession["run"]>[0];

/**
 * Serialise and load an emitted graph; `feeds` checks and packs x, t (and y). Only the graph's
 * description is kept, not its weights: they live in the worker's session.
 */
async function load(
  emitted: EmittedModel,
  opts: EngineOptions,
): Promise<{ meta: Meta; session: OnnxSession; feeds: (x: ImageArray, t: ArrayLike<number>, y?: ArrayLike<number> | null) => Feeds }> {
  const { graph, ...meta } = emitted;
  const serialized = serializeGraph(graph, meta.kind, { externalData: opts.externalData });
  // the serialised bytes hold the weights now: let the graph's copy go before the session makes its own
  graph.initializers.length = 0;
  const session = await createSession(serialized, { ...opts, transfer: true });
  const feeds = (x: ImageArray, t: ArrayLike<number>, y?: ArrayLike<number> | null): Feeds => {
    checkInputs(meta, x, t, y);
    const n = x.shape[0];
    const f: Feeds = {
      x: { type: "float32", data: x.data, dims: x.shape.slice() },
      t: { type: "float32", data: Float32Array.from(t), dims: [n] },
    };
    if (y) f.y = { type: "int64", data: BigInt64Array.from(Array.from(y), (v) => BigInt(Math.round(v))), dims: [n] };
    return f;
  };
  return { meta, session, feeds };
}

/** Read tfjs inputs for `run`: x must be float32 NHWC. */
async function arrays(who: string, x: tf.Tensor4D, t: tf.Tensor1D, y?: tf.Tensor1D | null): Promise<[ImageArray, ArrayLike<number>, ArrayLike<number> | null]> {
  if (x.dtype !== "float32") throw new Error(`${who} (ONNX): x must be float32, got ${x.dtype}`);
  const [xd, td, yd] = await Promise.all([x.data(), t.data(), y ? y.data() : Promise.resolve(null)]);
  return [{ data: xd as Float32Array, shape: x.shape as [number, number, number, number] }, td, yd];
}

/**
 * Emit, serialise and load a network into a new worker session: a tfjs model (its weights as they
 * are now) or a source such as `unetFromStateDict(config, readStateDict(file))` (no tfjs model).
 */
export async function onnxModel(model: UNetModel | EncoderUNetModel | UNetSource | ClassifierSource, opts: EngineOptions = {}): Promise<EngineModel> {
  const { meta, session, feeds } = await load(
    model instanceof UNetModel
      ? emitUNet(model)
      : model instanceof EncoderUNetModel
        ? emitClassifier(model)
        : model.kind === "unet"
          ? emitUNet(model)
          : emitClassifier(model),
    opts,
  );
  const run: EngineModel["run"] = async (x, t, y, runOpts) => {
    const out = (await session.run(feeds(x, t, y), runOpts))[meta.outputs[0]];
    return { data: out.data as Float32Array, shape: out.dims };
  };
  return {
    kind: meta.kind,
    threads: session.threads,
    executionProviders: session.executionProviders,
    run,
    async forward(x, t, y, runOpts) {
      const out = await run(...(await arrays(meta.kind, x, t, y)), runOpts);
      return tf.tensor(out.data, out.shape, "float32");
    },
    dispose: () => session.dispose(),
  };
}

/** A noisy classifier's logits and guidance gradient from one ONNX Runtime run. */
export interface GuidanceModel {
  readonly threads: number;
  readonly executionProviders: readonly string[];
  /**
   * @returns logits `[N, classes]` and grad = d/dx sum_i log p(y_i | x_i, t_i), NHWC like x: the
   *   gradient classifier guidance scales (guided-diffusion's cond_fn before classifier_scale)
   */
  run(x: ImageArray, t: ArrayLike<number>, y: ArrayLike<number>, opts?: RunOptions): Promise<{ logits: Float32Array; grad: Float32Array }>;
  /** `run` on tfjs tensors; the caller owns the results */
  forward(x: tf.Tensor4D, t: tf.Tensor1D, y: tf.Tensor1D, opts?: RunOptions): Promise<{ logits: tf.Tensor2D; grad: tf.Tensor4D }>;
  dispose(): Promise<void>;
}

/** Emit the classifier with its input gradient (./reverse-mode) and load it into a worker session. */
export async function onnxClassifierGradient(model: EncoderUNetModel | ClassifierSource, opts: EngineOptions = {}): Promise<GuidanceModel> {
  const { meta, session, feeds } = await load(emitClassifierGradient(model), opts);
  const run: GuidanceModel["run"] = async (x, t, y, runOpts) => {
    const out = await session.run(feeds(x, t, y), runOpts);
    return { logits: out.logits.data as Float32Array, grad: out.grad.data as Float32Array };
  };
  return {
    threads: session.threads,
    executionProviders: session.executionProviders,
    run,
    async forward(x, t, y, runOpts) {
      const out = await run(...((await arrays("classifier gradient", x, t, y)) as [ImageArray, ArrayLike<number>, ArrayLike<number>]), runOpts);
      const n = x.shape[0];
      return { logits: tf.tensor2d(out.logits, [n, meta.outChannels]), grad: tf.tensor4d(out.grad, x.shape) };
    },
    dispose: () => session.dispose(),
  };
}
