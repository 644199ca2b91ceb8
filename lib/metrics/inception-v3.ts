/**
 * InceptionV3 (Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision") in
 * the exact variant that FID, sFID and IS are defined on: the 2015-12-05 TensorFlow graph
 * (classify_image_graph_def.pb) that TTUR and ADM's evaluator load. Compared with torchvision's
 * Inception3 it has 1008 output classes, average pools that do not count padding, and a max pool
 * instead of an average pool in the last block's pool branch.
 *
 * The network is written as data (blocks of parallel branches of ops) so that the parameter shapes,
 * the parameter count and the forward pass all come from one description. Parameter names are
 * those of torchvision / pytorch-fid state dicts ("Mixed_6d.branch1x1.conv.weight"), so the FID
 * weights port directly (see ./inception-weights).
 *
 * Outputs, as ADM's evaluator reads them from the TF graph:
 *   pool3   2048-d global average of Mixed_7c ("pool_3:0"), the FID features
 *   spatial first 7 channels of Mixed_6d's 1x1 branch ("mixed_6/conv:0"), 17 x 17 x 7 = 2023-d, the
 *           sFID features (Nash et al. 2021); that branch comes first in Mixed_6d's concatenation,
 *           so these are also the first 7 channels of the 17 x 17 x 768 block output
 *   logits  pool3 times the 2048 x 1008 classifier weights, without the bias, as ADM's evaluator
 *           multiplies ("softmax/logits/MatMul"); softmax of these gives the IS class probabilities
 */
import * as tf from "@tensorflow/tfjs";

/** A convolution followed by batch norm (eps 1e-3) and ReLU: torchvision's BasicConv2d. */
export interface ConvOp {
  kind: "conv";
  /** state-dict prefix, e.g. "Mixed_5b.branch5x5_1" */
  name: string;
  outChannels: number;
  kernel: [number, number];
  stride: number;
  padding: "same" | "valid";
}

/** A 3x3 pool; "avg" with "same" padding averages only the pixels inside the image (TF semantics). */
export interface PoolOp {
  kind: "avg" | "max";
  stride: number;
  padding: "same" | "valid";
}

export type Op = ConvOp | PoolOp;

/** A chain of ops, optionally ending in parallel convs (InceptionE) whose outputs are concatenated. */
export interface Branch {
  ops: Op[];
  split?: ConvOp[];
}

/** Parallel branches on one input, concatenated along channels in order. */
export interface Block {
  name: string;
  branches: Branch[];
}

export const INCEPTION_INPUT_SIZE = 299;
export const INCEPTION_POOL_DIM = 2048;
export const INCEPTION_CLASSES = 1008;
/** sFID features: this conv's output, first SPATIAL_CHANNELS channels */
export const SPATIAL_LAYER = "Mixed_6d.branch1x1";
export const SPATIAL_CHANNELS = 7;
export const BATCH_NORM_EPS = 1e-3;

function conv(name: string, outChannels: number, kernel: number | [number, number], stride = 1, padding?: "same" | "valid"): ConvOp {
  const k: [number, number] = typeof kernel === "number" ? [kernel, kernel] : kernel;
  return { kind: "conv", name, outChannels, kernel: k, stride, padding: padding ?? (stride === 1 ? "same" : "valid") };
}
const avgPool3: PoolOp = { kind: "avg", stride: 1, padding: "same" };
const maxPool3s1: PoolOp = { kind: "max", stride: 1, padding: "same" };
const maxPool3s2: PoolOp = { kind: "max", stride: 2, padding: "valid" };

function inceptionA(name: string, poolFeatures: number): Block {
  return {
    name,
    branches: [
      { ops: [conv(`${name}.branch1x1`, 64, 1)] },
      { ops: [conv(`${name}.branch5x5_1`, 48, 1), conv(`${name}.branch5x5_2`, 64, 5)] },
      { ops: [conv(`${name}.branch3x3dbl_1`, 64, 1), conv(`${name}.branch3x3dbl_2`, 96, 3), conv(`${name}.branch3x3dbl_3`, 96, 3)] },
      { ops: [avgPool3, conv(`${name}.branch_pool`, poolFeatures, 1)] },
    ],
  };
}

function inceptionB(name: string): Block {
  return {
    name,
    branches: [
      { ops: [conv(`${name}.branch3x3`, 384, 3, 2)] },
      { ops: [conv(`${name}.branch3x3dbl_1`, 64, 1), conv(`${name}.branch3x3dbl_2`, 96, 3), conv(`${name}.branch3x3dbl_3`, 96, 3, 2)] },
      { ops: [maxPool3s2] },
    ],
  };
}

function inceptionC(name: string, c7: number): Block {
  return {
    name,
    branches: [
      { ops: [conv(`${name}.branch1x1`, 192, 1)] },
      { ops: [conv(`${name}.branch7x7_1`, c7, 1), conv(`${name}.branch7x7_2`, c7, [1, 7]), conv(`${name}.branch7x7_3`, 192, [7, 1])] },
      {
        ops: [
          conv(`${name}.branch7x7dbl_1`, c7, 1),
          conv(`${name}.branch7x7dbl_2`, c7, [7, 1]),
          conv(`${name}.branch7x7dbl_3`, c7, [1, 7]),
          conv(`${name}.branch7x7dbl_4`, c7, [7, 1]),
          conv(`${name}.branch7x7dbl_5`, 192, [1, 7]),
        ],
      },
      { ops: [avgPool3, conv(`${name}.branch_pool`, 192, 1)] },
    ],
  };
}

function inceptionD(name: string): Block {
  return {
    name,
    branches: [
      { ops: [conv(`${name}.branch3x3_1`, 192, 1), conv(`${name}.branch3x3_2`, 320, 3, 2)] },
      {
        ops: [
          conv(`${name}.branch7x7x3_1`, 192, 1),
          conv(`${name}.branch7x7x3_2`, 192, [1, 7]),
          conv(`${name}.branch7x7x3_3`, 192, [7, 1]),
          conv(`${name}.branch7x7x3_4`, 192, 3, 2),
        ],
      },
      { ops: [maxPool3s2] },
    ],
  };
}

/** InceptionE; the FID graph's first E block average-pools (without padding), its second max-pools. */
function inceptionE(name: string, pool: PoolOp): Block {
  return {
    name,
    branches: [
      { ops: [conv(`${name}.branch1x1`, 320, 1)] },
      { ops: [conv(`${name}.branch3x3_1`, 384, 1)], split: [conv(`${name}.branch3x3_2a`, 384, [1, 3]), conv(`${name}.branch3x3_2b`, 384, [3, 1])] },
      {
        ops: [conv(`${name}.branch3x3dbl_1`, 448, 1), conv(`${name}.branch3x3dbl_2`, 384, 3)],
        split: [conv(`${name}.branch3x3dbl_3a`, 384, [1, 3]), conv(`${name}.branch3x3dbl_3b`, 384, [3, 1])],
      },
      { ops: [pool, conv(`${name}.branch_pool`, 192, 1)] },
    ],
  };
}

/** The FID InceptionV3 up to Mixed_7c; global average pooling and the classifier follow. */
export const INCEPTION_V3_BLOCKS: Block[] = [
  {
    name: "stem",
    branches: [
      {
        ops: [
          conv("Conv2d_1a_3x3", 32, 3, 2),
          conv("Conv2d_2a_3x3", 32, 3, 1, "valid"),
          conv("Conv2d_2b_3x3", 64, 3),
          maxPool3s2,
          conv("Conv2d_3b_1x1", 80, 1),
          conv("Conv2d_4a_3x3", 192, 3, 1, "valid"),
          maxPool3s2,
        ],
      },
    ],
  },
  inceptionA("Mixed_5b", 32),
  inceptionA("Mixed_5c", 64),
  inceptionA("Mixed_5d", 64),
  inceptionB("Mixed_6a"),
  inceptionC("Mixed_6b", 128),
  inceptionC("Mixed_6c", 160),
  inceptionC("Mixed_6d", 160),
  inceptionC("Mixed_6e", 192),
  inceptionD("Mixed_7a"),
  inceptionE("Mixed_7b", avgPool3),
  inceptionE("Mixed_7c", maxPool3s1),
];

/** Every conv of the network with its input channel count, in forward order. */
export function inceptionConvs(): Array<ConvOp & { inChannels: number }> {
  const out: Array<ConvOp & { inChannels: number }> = [];
  let channels = 3;
  for (const block of INCEPTION_V3_BLOCKS) {
    let blockOut = 0;
    for (const branch of block.branches) {
      let c = channels;
      for (const op of branch.ops) {
        if (op.kind === "conv") {
          out.push({ ...op, inChannels: c });
          c = op.outChannels;
        }
      }
      if (branch.split) {
        for (const op of branch.split) out.push({ ...op, inChannels: c });
        c = branch.split.reduce((s, op) => s + op.outChannels, 0);
      }
      blockOut += c;
    }
    channels = blockOut;
  }
  return out;
}

/** One conv with its batch norm folded in: y = relu(conv(x, kernel) + bias), kernel HWIO. */
export interface FoldedConv {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** The network's tensors, ready for inference (see loadInceptionV3 in ./inception-weights). */
export interface InceptionV3 {
  convs: Map<string, FoldedConv>;
  /** classifier weights, 2048 x 1008 (transposed from the state dict's fc.weight) */
  logitsWeight: tf.Tensor2D;
  dispose(): void;
}

export interface InceptionOutputs {
  pool3: tf.Tensor2D;
  spatial: tf.Tensor2D;
  logits: tf.Tensor2D;
}

function applyOp(net: InceptionV3, op: Op, x: tf.Tensor4D, taps: Map<string, tf.Tensor4D>): tf.Tensor4D {
  if (op.kind !== "conv") return op.kind === "avg" ? tf.avgPool(x, 3, op.stride, op.padding) : tf.maxPool(x, 3, op.stride, op.padding);
  const w = net.convs.get(op.name);
  if (!w) throw new Error(`InceptionV3: no weights for ${op.name}`);
  const y = tf.fused.conv2d({ x, filter: w.kernel, strides: op.stride, pad: op.padding, bias: w.bias, activation: "relu" });
  if (op.name === SPATIAL_LAYER) taps.set(op.name, y);
  return y;
}

/**
 * Map images in [-1, 1] (NHWC, 1 or 3 channels, any size) to the graph's input: grey is repeated to
 * RGB; the image is resized to 299x299 with TF1's ResizeBilinear (no half-pixel centres), as the graph
 * does; and pixel values v in [0, 255] become (v - 128) / 128, the graph's Sub and Mul nodes.
 */
export function inceptionInput(images: tf.Tensor4D): tf.Tensor4D {
  const c = images.shape[3];
  if (c !== 1 && c !== 3) throw new Error(`InceptionV3: images have ${c} channels; expected 1 (grey) or 3 (RGB) in NHWC layout`);
  return tf.tidy(() => {
    const rgb = c === 1 ? tf.tile(images, [1, 1, 1, 3]) : images;
    const [h, w] = [images.shape[1], images.shape[2]];
    const sized =
      h === INCEPTION_INPUT_SIZE && w === INCEPTION_INPUT_SIZE ? rgb : tf.image.resizeBilinear(rgb, [INCEPTION_INPUT_SIZE, INCEPTION_INPUT_SIZE], false, false);
    const pixels = tf.mul(tf.add(sized, 1), 127.5);
    return tf.div(tf.sub(pixels, 128), 128) as tf.Tensor4D;
  });
}

/** Run the network on images in [-1, 1]; the caller disposes the three outputs. */
export function inceptionForward(net: InceptionV3, images: tf.Tensor4D): InceptionOutputs {
  return tf.tidy(() => {
    let x = inceptionInput(images);
    const taps = new Map<string, tf.Tensor4D>();
    for (const block of INCEPTION_V3_BLOCKS) {
      const input = x;
      const outs = block.branches.map((branch) => {
        let y = input;
        for (const op of branch.ops) y = applyOp(net, op, y, taps);
        if (!branch.split) return y;
        const head = y;
        return tf.concat(
          branch.split.map((op) => applyOp(net, op, head, taps)),
          3,
        );
      });
      x = outs.length === 1 ? outs[0] : tf.concat(outs, 3);
    }
    const pool3 = tf.mean(x, [1, 2]) as tf.Tensor2D;
    const tap = taps.get(SPATIAL_LAYER) as tf.Tensor4D;
    const n = tap.shape[0];
    const spatial = tf.slice(tap, [0, 0, 0, 0], [n, -1, -1, SPATIAL_CHANNELS]).reshape([n, -1]) as tf.Tensor2D;
    const logits = tf.matMul(pool3, net.logitsWeight) as tf.Tensor2D;
    return { pool3, spatial, logits };
  });
}
