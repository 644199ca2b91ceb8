/**
 * The Fashion-MNIST feature network (courseFeatureExtractor) on ONNX Runtime: the same walk over the
 * classifier's plan emitted as one graph with two outputs, the pooled features (the spatial means
 * the head reads) and the logits, so that FID over tens of thousands of images takes seconds per
 * thousand instead of a minute on tfjs-wasm. Agrees with the tfjs extractor to 1e-4
 * (test/course/features-on-engine.test.ts).
 *   const features = await engineFeatures("models/fashion-features", { data, shape: [n, 28, 28, 1] });
 */
import { createSession, GraphBuilder, paramsWeights, serializeGraph, type SerializedModel, type SessionOptions } from "../engine/index";
import { onnxExecutor } from "../engine/emit-layers";
import { initializerContext, type Value } from "../engine/emit-ops";
import type { Features, Uint8Images } from "../metrics/index";
import { applyLayers, walkEncoderTrunk } from "../models/index";
import { loadTrainedClassifier } from "./trained-model";

export interface EngineFeatureOptions extends Pick<SessionOptions, "threads" | "executionProviders"> {
  /** images per run (default 256) */
  batchSize?: number;
  /** called after each batch with images done so far and the total */
  onProgress?: (done: number, total: number) => void;
}

/** The graph x [N, S, S, C] (NHWC, t = 0) -> features [N, F], logits [N, classes], from `dir`'s clean classifier. */
function featureGraph(dir: string): { serialized: SerializedModel; size: number; channels: number } {
  const { net, noised } = loadTrainedClassifier(dir);
  if (noised) throw new Error(`${dir} is a noisy classifier; FID features need one trained on clean images (--config fashion-features)`);
  const c = net.config;
  if (net.plan.pool !== "spatial" && net.plan.pool !== "spatial_v2")
    throw new Error(`${dir}: engineFeatures reads a spatial pool's block means; this classifier pools with "${net.plan.pool}" (use courseFeatureExtractor)`);
  const g = new GraphBuilder();
  const ex = onnxExecutor(initializerContext(g, paramsWeights(net.params)));
  const x = g.input("x", "float32", ["N", c.imageSize, c.imageSize, c.inChannels]);
  const t = g.input("t", "float32", ["N"]);
  const nchw: Value = { name: g.node("Transpose", [x], { perm: [0, 3, 1, 2] }, "x_nchw"), rank: 4 };
  const { emb, means } = walkEncoderTrunk(net.plan, ex, nchw, { name: t, rank: 1 });
  const features = ex.concat(means);
  const logits = applyLayers(ex, net.plan.out, features, emb);
  g.output("features", features.name, "float32", ["N", "F"]);
  g.output("logits", logits.name, "float32", ["N", c.outChannels]);
  const serialized = serializeGraph(g, "features");
  net.dispose();
  return { serialized, size: c.imageSize, channels: c.inChannels };
}

/** uint8 images [m, h, w, c] -> float32 in [-1, 1], centred on a `size` x `size` canvas of background (-1), as courseFeatureExtractor pads. */
function padded(images: Uint8Images, start: number, end: number, size: number): Float32Array {
  const [, h, w, c] = images.shape;
  if (h > size || w > size) throw new Error(`engineFeatures: images are ${h}x${w}, larger than the network's ${size}x${size}`);
  const top = Math.floor((size - h) / 2),
    left = Math.floor((size - w) / 2);
  const out = new Float32Array((end - start) * size * size * c).fill(-1);
  for (let i = start; i < end; i++)
    for (let r = 0; r < h; r++)
      for (let q = 0; q < w * c; q++) {
        out[(((i - start) * size + r + top) * size + left) * c + q] = images.data[(i * h + r) * w * c + q] / 127.5 - 1;
      }
  return out;
}

function softmaxRows(logits: Float32Array, k: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / k; r++) {
    let m = -Infinity,
      s = 0;
    for (let j = 0; j < k; j++) m = Math.max(m, logits[r * k + j]);
    for (let j = 0; j < k; j++) s += out[r * k + j] = Math.exp(logits[r * k + j] - m);
    for (let j = 0; j < k; j++) out[r * k + j] /= s;
  }
  return out;
}

/** Pooled features and class probabilities of `images` under the clean classifier in `dir`, run by ONNX Runtime. */
export async function engineFeatures(dir: string, images: Uint8Images, opts: EngineFeatureOptions = {}): Promise<Features> {
  const { serialized, size, channels } = featureGraph(dir);
  const [n, , , c] = images.shape;
  if (c !== channels) throw new Error(`engineFeatures: images have ${c} channels; ${dir} reads ${channels}`);
  if (n < 1) throw new Error("engineFeatures: no images");
  const session = await createSession(serialized, { threads: opts.threads, executionProviders: opts.executionProviders, transfer: true });
  const batch = opts.batchSize ?? 256;
  let pooled: Float64Array | undefined, probs: Float64Array | undefined;
  try {
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch),
        m = end - start;
      const out = await session.run({
        x: { type: "float32", data: padded(images, start, end, size), dims: [m, size, size, channels] },
        t: { type: "float32", data: new Float32Array(m), dims: [m] },
      });
      const [f, l] = [out.features, out.logits];
      pooled ??= new Float64Array(n * f.dims[1]);
      probs ??= new Float64Array(n * l.dims[1]);
      pooled.set(f.data as Float32Array, start * f.dims[1]);
      probs.set(softmaxRows(l.data as Float32Array, l.dims[1]), start * l.dims[1]);
      opts.onProgress?.(end, n);
    }
  } finally {
    await session.dispose();
  }
  const p = pooled as Float64Array,
    q = probs as Float64Array;
  return { pooled: { data: p, shape: [n, p.length / n] }, probs: { data: q, shape: [n, q.length / n] } };
}
