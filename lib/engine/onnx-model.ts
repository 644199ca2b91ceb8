/**
 * A UNetModel or noisy classifier on ONNX Runtime: emitted once from the model's plan and current
 * weights, loaded once into a worker's session, then `forward` as often as needed. `run` takes and
 * returns typed arrays; `forward` is the thin tfjs adapter (tensors in, a tensor out).
 */
import * as tf from "@tensorflow/tfjs";
import { EncoderUNetModel, UNetModel } from "../models/index";
import { emitClassifier, emitUNet, EmittedModel } from "./emit-model";
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

function checkInputs(e: EmittedModel, x: ImageArray, t: ArrayLike<number>, y: ArrayLike<number> | null | undefined): void {
  const who = e.kind === "unet" ? "UNet (ONNX)" : "classifier (ONNX)";
  const [n, h, w, c] = x.shape;
  if (x.shape.length !== 4 || h !== e.imageSize || w !== e.imageSize || c !== e.inChannels) {
    throw new Error(`${who}: x must be NHWC [N, ${e.imageSize}, ${e.imageSize}, ${e.inChannels}], got [${x.shape}]`);
  }
  if (x.data.length !== n * h * w * c) throw new Error(`${who}: x has ${x.data.length} values, its shape [${x.shape}] needs ${n * h * w * c}`);
  if (t.length !== n) throw new Error(`${who}: t must hold ${n} timesteps (one per image), got ${t.length}`);
  const hasY = y !== undefined && y !== null;
  if (hasY !== e.conditional) {
    throw new Error(e.conditional ? `${who}: this model is class-conditional: pass y, ${n} integer labels` : `${who}: this model is unconditional: do not pass y`);
  }
  if (hasY && y.length !== n) throw new Error(`${who}: y must hold ${n} labels, got ${y.length}`);
}

/** Emit, serialise and load `model` (its weights as they are now) into a new worker session. */
export async function onnxModel(model: UNetModel | EncoderUNetModel, opts: EngineOptions = {}): Promise<EngineModel> {
  const emitted = model instanceof UNetModel ? emitUNet(model) : emitClassifier(model);
  const serialized = serializeGraph(emitted.graph, emitted.kind, { externalData: opts.externalData });
  const session: OnnxSession = await createSession(serialized, { ...opts, transfer: true });

  const run: EngineModel["run"] = async (x, t, y, runOpts) => {
    checkInputs(emitted, x, t, y);
    const n = x.shape[0];
    const feeds: Parameters<OnnxSession["run"]>[0] = {
      x: { type: "float32", data: x.data, dims: x.shape.slice() },
      t: { type: "float32", data: Float32Array.from(t), dims: [n] },
    };
    if (y) feeds.y = { type: "int64", data: BigInt64Array.from(Array.from(y), (v) => BigInt(Math.round(v))), dims: [n] };
    const out = (await session.run(feeds, runOpts))[emitted.output];
    return { data: out.data as Float32Array, shape: out.dims };
  };

  return {
    kind: emitted.kind, threads: session.threads, executionProviders: session.executionProviders, run,
    async forward(x, t, y, runOpts) {
      if (x.dtype !== "float32") throw new Error(`${emitted.kind} (ONNX): x must be float32, got ${x.dtype}`);
      const shape = x.shape as [number, number, number, number];
      const [xd, td, yd] = await Promise.all([x.data(), t.data(), y ? y.data() : Promise.resolve(null)]);
      const out = await run({ data: xd as Float32Array, shape }, td, yd, runOpts);
      return tf.tensor(out.data, out.shape, "float32");
    },
    dispose: () => session.dispose(),
  };
}
