/**
 * Looking inside a UNet (notebook 05): one forward pass that also records what chosen layers saw
 * and made (their input, output and the timestep embedding), the shape every layer produced, and
 * the plan as a table of blocks with their resolutions, so a notebook can plot a real feature map
 * of the shipped model, rerun one ResBlock by hand, or draw its attention maps.
 */
import * as tf from "@tensorflow/tfjs";
import { countSpecs } from "../nn/index";
import { UNetModel, layerParams, tfExecutor, walkUNet, type Executor, type Layer, type UNetPlan } from "../models/index";

/** What one layer received and returned in a tapped forward pass. */
export interface LayerTap {
  layer: Layer;
  /** the layer's input, `[N, H, W, C]` for image layers */
  input: tf.Tensor;
  output: tf.Tensor;
  /** the embedding a ResBlock reads (time_embed(t) + label_emb(y)), null for other layers */
  emb: tf.Tensor2D | null;
}

/** The shape one layer produced, in the order the forward pass ran. */
export interface LayerShape {
  name: string;
  kind: Layer["kind"];
  shape: number[];
}

export interface TappedForward {
  /** the network's output, as `net.forward` returns it */
  output: tf.Tensor4D;
  /** the layers asked for, by state_dict name (e.g. "output_blocks.0.0"); dispose with {@link disposeTaps} */
  taps: Map<string, LayerTap>;
  /** every named layer's output shape */
  shapes: LayerShape[];
}

/**
 * Run `net` on `x` (NHWC), timesteps `t` and labels `y` (class-conditional models only), keeping the
 * inputs and outputs of the layers named in `keep`. Unknown names are refused with the list of names
 * the plan has.
 */
export function tapUNet(net: UNetModel, x: tf.Tensor4D, t: tf.Tensor1D, y: tf.Tensor1D | null, keep: string[]): TappedForward {
  const known = namedLayers(net.plan).map((l) => l.name);
  const missing = keep.filter((k) => !known.includes(k));
  if (missing.length) throw new Error(`tapUNet: no layer named ${missing.join(", ")}; this plan has ${known.join(", ")}`);
  if ((y !== null) !== (net.config.numClasses !== null)) {
    throw new Error(
      net.config.numClasses !== null ? "tapUNet: this model is class-conditional: pass labels y" : "tapUNet: this model is unconditional: pass y = null",
    );
  }
  const base = tfExecutor(net.params, null);
  const taps = new Map<string, LayerTap>();
  const shapes: LayerShape[] = [];
  const ex: Executor<tf.Tensor> = {
    ...base,
    layer(layer, h, emb) {
      const out = base.layer(layer, h, emb);
      if ("name" in layer) {
        shapes.push({ name: layer.name, kind: layer.kind, shape: out.shape.slice() });
        if (keep.includes(layer.name)) {
          const isRes = layer.kind === "resblock";
          taps.set(layer.name, {
            layer,
            input: tf.keep(h.clone()),
            output: tf.keep(out.clone()),
            emb: isRes && emb ? (tf.keep(emb.clone()) as tf.Tensor2D) : null,
          });
        }
      }
      return out;
    },
  };
  const output = tf.tidy(() => walkUNet(net.plan, ex, x, t, y) as tf.Tensor4D);
  return { output, taps, shapes };
}

/** Free every tensor of a tapped forward pass. */
export function disposeTaps(f: TappedForward): void {
  f.output.dispose();
  for (const tap of f.taps.values()) tf.dispose([tap.input, tap.output, ...(tap.emb ? [tap.emb] : [])]);
  f.taps.clear();
}

/** Every layer of a plan that has a state_dict name, in forward order. */
function namedLayers(plan: UNetPlan): (Layer & { name: string })[] {
  const blocks = [plan.timeEmbed, ...(plan.labelEmb ? [[plan.labelEmb]] : []), ...plan.inputBlocks, plan.middleBlock, ...plan.outputBlocks, plan.out];
  return blocks.flat().filter((l): l is Layer & { name: string } => "name" in l);
}

/** One row of {@link unetBlockTable}. */
export interface BlockRow {
  /** the block's state_dict prefix, e.g. "input_blocks.2" */
  block: string;
  /** what it holds, e.g. "ResBlock (down)", "ResBlock + attention (2 heads)" */
  layers: string;
  /** side length of the feature map it returns */
  resolution: number;
  channels: number;
  parameters: number;
}

function describe(layer: Layer, heads: (l: Layer) => number): string {
  switch (layer.kind) {
    case "resblock":
      return `ResBlock${layer.cfg.down ? " (down)" : layer.cfg.up ? " (up)" : ""} ${layer.cfg.channels}→${layer.cfg.outChannels}`;
    case "attention":
      return `attention (${heads(layer)} head${heads(layer) > 1 ? "s" : ""})`;
    case "downsample":
      return "Downsample";
    case "upsample":
      return "Upsample";
    case "conv":
      return `conv ${layer.inChannels}→${layer.outChannels}`;
    default:
      return layer.kind;
  }
}

/**
 * The UNet's blocks as rows (input blocks, the middle block, output blocks), with the resolution and
 * channels each returns, worked out from the plan for an `imageSize` input (nothing is run).
 */
export function unetBlockTable(net: UNetModel): BlockRow[] {
  const plan = net.plan;
  const c = net.config;
  const heads = (l: Layer): number => {
    if (l.kind !== "attention") return 0;
    return l.cfg.numHeadChannels === -1 ? l.cfg.numHeads : l.cfg.channels / l.cfg.numHeadChannels;
  };
  let res = c.imageSize;
  const rows: BlockRow[] = [];
  const add = (block: string, layers: Layer[]): void => {
    let channels = rows.length ? rows[rows.length - 1].channels : c.inChannels;
    for (const l of layers) {
      if (l.kind === "resblock") {
        if (l.cfg.down) res = Math.floor(res / 2);
        if (l.cfg.up) res *= 2;
        channels = l.cfg.outChannels;
      } else if (l.kind === "downsample") res = Math.floor(res / 2);
      else if (l.kind === "upsample") res *= 2;
      else if (l.kind === "conv") channels = l.outChannels;
    }
    const parameters = layers.reduce((s, l) => s + countSpecs(layerParams(l)), 0);
    rows.push({ block, layers: layers.map((l) => describe(l, heads)).join(" + "), resolution: res, channels, parameters });
  };
  plan.inputBlocks.forEach((b, i) => add(`input_blocks.${i}`, b));
  add("middle_block", plan.middleBlock);
  plan.outputBlocks.forEach((b, i) => add(`output_blocks.${i}`, b));
  return rows;
}
