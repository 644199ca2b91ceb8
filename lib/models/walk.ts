/**
 * The one walk over a plan, shared by every executor: tfjs (./layers `tfExecutor`, eager tensors) and
 * the ONNX emitter (lib/engine, graph values). An executor says what one layer does to its values;
 * how the layers connect (embedding, skips, head) is written here once.
 */
import type { Block, Layer } from "./layers";
import type { EncoderPlan, TrunkPlan, UNetPlan } from "./unet-plan";

/** What a plan needs from an executor, for values of type T. */
export interface Executor<T> {
  /** apply one layer; ResBlocks also read `emb` */
  layer(layer: Layer, h: T, emb: T | null): T;
  add(a: T, b: T): T;
  /** concatenate along the channel axis, in the given order */
  concat(parts: T[]): T;
}

const SPATIAL_MEAN: Layer = { kind: "spatialMean", keepDims: false };

export function applyLayers<T>(ex: Executor<T>, block: Block, h: T, emb: T | null): T {
  for (const layer of block) h = ex.layer(layer, h, emb);
  return h;
}

/** `emb = time_embed(timestep_embedding(t))`, plus `label_emb(y)` when the plan has one. */
function embed<T>(plan: TrunkPlan & { labelEmb?: Layer | null }, ex: Executor<T>, t: T, y: T | null): T {
  const emb = applyLayers(ex, plan.timeEmbed, t, null);
  if (!plan.labelEmb) return emb;
  if (y === null) throw new Error("a class-conditional plan needs labels y");
  return ex.add(emb, ex.layer(plan.labelEmb, y, null));
}

/**
 * UNetModel.forward: input blocks (each output kept as a skip), middle block, output blocks on
 * `cat([h, skip])` (h first), then the head `out`.
 */
export function walkUNet<T>(plan: UNetPlan, ex: Executor<T>, x: T, t: T, y: T | null): T {
  const emb = embed(plan, ex, t, y);
  const hs: T[] = [];
  let h = x;
  for (const block of plan.inputBlocks) {
    h = applyLayers(ex, block, h, emb);
    hs.push(h);
  }
  h = applyLayers(ex, plan.middleBlock, h, emb);
  for (const block of plan.outputBlocks) h = applyLayers(ex, block, ex.concat([h, hs.pop() as T]), emb);
  return applyLayers(ex, plan.out, h, emb);
}

/**
 * EncoderUNetModel's trunk: input blocks and middle block; with a spatial pool also the spatial
 * mean of every block's output (`means`, input blocks first, the middle block last).
 */
export function walkEncoderTrunk<T>(plan: EncoderPlan, ex: Executor<T>, x: T, t: T): { h: T; emb: T; means: T[] } {
  const emb = embed(plan, ex, t, null);
  const spatial = plan.pool === "spatial" || plan.pool === "spatial_v2";
  const means: T[] = [];
  let h = x;
  for (const block of plan.inputBlocks) {
    h = applyLayers(ex, block, h, emb);
    if (spatial) means.push(ex.layer(SPATIAL_MEAN, h, null));
  }
  h = applyLayers(ex, plan.middleBlock, h, emb);
  if (spatial) means.push(ex.layer(SPATIAL_MEAN, h, null));
  return { h, emb, means };
}

/** EncoderUNetModel.forward: the trunk, then the pool's head on h (or on the concatenated means). */
export function walkEncoder<T>(plan: EncoderPlan, ex: Executor<T>, x: T, t: T): T {
  const { h, emb, means } = walkEncoderTrunk(plan, ex, x, t);
  return applyLayers(ex, plan.out, means.length ? ex.concat(means) : h, emb);
}
