/**
 * Reverse-mode rules (vector-Jacobian products) for the ONNX operators of the emitted graphs: given
 * the gradient gy of a node's outputs, the nodes that compute the gradient of each input that needs
 * one. Shapes come from ./shapes (batch symbolic). Only input gradients are emitted: a rule asked
 * for a weight's gradient says so.
 */
import { GraphBuilder } from "./graph";
import { NodeProto } from "./onnx-proto";
import { attr, Shape } from "./shapes";

export interface GradContext {
  g: GraphBuilder;
  shapes: Map<string, Shape>;
}

/** gy per output (null: no gradient reaches it), need per input -> gradient per input (null if not needed). */
type Rule = (ctx: GradContext, node: NodeProto, gy: (string | null)[], need: boolean[]) => (string | null)[];

function shapeOf(ctx: GradContext, v: string): Shape {
  const s = ctx.shapes.get(v);
  if (!s) throw new Error(`gradient: no shape for ${v}`);
  return s;
}

function only(gy: (string | null)[], node: NodeProto): string {
  if (gy.length !== 1 || gy[0] === null) throw new Error(`gradient of ${node.opType} ${node.name}: expected one output gradient`);
  return gy[0];
}

/** Sum `grad` (shaped like `out`) down to the shape of `input`, undoing numpy broadcasting. */
function unbroadcast(ctx: GradContext, grad: string, input: string, out: string): string {
  const a = shapeOf(ctx, input);
  const o = shapeOf(ctx, out);
  const lead = o.length - a.length;
  const axes: number[] = [];
  for (let i = 0; i < o.length; i++) if (i < lead || (a[i - lead] === 1 && o[i] !== 1)) axes.push(i);
  if (axes.length === 0) return grad;
  const { g } = ctx;
  const summed = g.node("ReduceSum", [grad, g.ints(axes)], { keepdims: 1 }, "unbroadcast");
  return g.node("Reshape", [summed, g.node("Shape", [input])]);
}

/** Swap the last two axes. */
function swapLast(g: GraphBuilder, v: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return g.node("Transpose", [v], { perm });
}

function noWeightGradient(node: NodeProto, input: number): never {
  throw new Error(`gradient of ${node.opType} ${node.name}: input ${input} (${node.inputs[input]}) is a weight; only input gradients are emitted`);
}

/** d/da and d/db of a @ b over the last two axes (same batch axes). */
function matmulGrads(ctx: GradContext, node: NodeProto, gy: string, need: boolean[]): (string | null)[] {
  const { g } = ctx;
  const [a, b] = node.inputs;
  const ra = shapeOf(ctx, a).length;
  const rb = shapeOf(ctx, b).length;
  const ga = need[0] ? unbroadcast(ctx, g.node("MatMul", [gy, swapLast(g, b, rb)]), a, node.outputs[0]) : null;
  if (need[1] && ra !== rb) noWeightGradient(node, 1);
  const gb = need[1] ? g.node("MatMul", [swapLast(g, a, ra), gy]) : null;
  return [ga, gb];
}

/** Reshape-like ops: the gradient takes the input's shape back. */
const reshapeBack: Rule = (ctx, node, gy) => [ctx.g.node("Reshape", [only(gy, node), ctx.g.node("Shape", [node.inputs[0]])]), null];

export const RULES: Record<string, Rule> = {
  Identity: (_, node, gy) => [only(gy, node)],
  Transpose: (ctx, node, gy) => {
    const perm = attr<number[]>(node, "perm");
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [ctx.g.node("Transpose", [only(gy, node)], { perm: inverse })];
  },
  Reshape: reshapeBack,
  Unsqueeze: reshapeBack,
  Flatten: reshapeBack,
  Add: (ctx, node, gy, need) => node.inputs.map((v, i) => (need[i] ? unbroadcast(ctx, only(gy, node), v, node.outputs[0]) : null)),
  Sub: (ctx, node, gy, need) => {
    const d = only(gy, node);
    return [
      need[0] ? unbroadcast(ctx, d, node.inputs[0], node.outputs[0]) : null,
      need[1] ? unbroadcast(ctx, ctx.g.node("Neg", [d]), node.inputs[1], node.outputs[0]) : null,
    ];
  },
  Mul: (ctx, node, gy, need) => {
    const [a, b] = node.inputs;
    const d = only(gy, node);
    return [
      need[0] ? unbroadcast(ctx, ctx.g.node("Mul", [d, b]), a, node.outputs[0]) : null,
      need[1] ? unbroadcast(ctx, ctx.g.node("Mul", [d, a]), b, node.outputs[0]) : null,
    ];
  },
  // y = sigmoid(x): dy/dx = y (1 - y)
  Sigmoid: (ctx, node, gy) => {
    const { g } = ctx;
    const y = node.outputs[0];
    return [g.node("Mul", [only(gy, node), g.node("Mul", [y, g.node("Sub", [g.floats([1]), y])])])];
  },
  Relu: (ctx, node, gy) => {
    const { g } = ctx;
    const positive = g.node("Greater", [node.inputs[0], g.floats([0])]);
    return [g.node("Where", [positive, only(gy, node), g.floats([0])])];
  },
  // y = softmax(x): dx = y * (dy - sum(dy * y))
  Softmax: (ctx, node, gy) => {
    const { g } = ctx;
    const y = node.outputs[0];
    const d = only(gy, node);
    const dot = g.node("ReduceSum", [g.node("Mul", [d, y]), g.ints([attr(node, "axis", -1)])], { keepdims: 1 });
    return [g.node("Mul", [y, g.node("Sub", [d, dot])])];
  },
  MatMul: (ctx, node, gy, need) => matmulGrads(ctx, node, only(gy, node), need),
  Gemm: (ctx, node, gy, need) => {
    if (attr(node, "transA", 0) || attr(node, "transB", 0)) throw new Error(`gradient of Gemm ${node.name}: transposed operands are not supported`);
    if (need[2]) noWeightGradient(node, 2);
    return [...matmulGrads(ctx, node, only(gy, node), need), null];
  },
  // the adjoint of a convolution: the transposed convolution with the same weights, strides, pads;
  // output_padding recovers the rows and columns a stride dropped
  Conv: (ctx, node, gy, need) => {
    if (need[1]) noWeightGradient(node, 1);
    if (need[2]) noWeightGradient(node, 2);
    const x = shapeOf(ctx, node.inputs[0]);
    const y = shapeOf(ctx, node.outputs[0]);
    const k = attr<number[]>(node, "kernel_shape");
    const pads = attr<number[]>(node, "pads", [0, 0, 0, 0]);
    const strides = attr<number[]>(node, "strides", [1, 1]);
    const extra = [0, 1].map((i) => (x[2 + i] as number) + pads[i] + pads[i + 2] - k[i] - ((y[2 + i] as number) - 1) * strides[i]);
    const gx = ctx.g.node("ConvTranspose", [only(gy, node), node.inputs[1]], { kernel_shape: k, pads, strides, output_padding: extra });
    return [gx, null, null];
  },
  // 2x2 average pool, stride 2: each input pixel receives a quarter of its window's gradient;
  // rows and columns the floor dropped receive none
  AveragePool: (ctx, node, gy) => {
    const { g } = ctx;
    const k = attr<number[]>(node, "kernel_shape");
    const strides = attr<number[]>(node, "strides", [1, 1]);
    if (k.join() !== "2,2" || strides.join() !== "2,2" || attr<number[]>(node, "pads", [0, 0, 0, 0]).some((p) => p)) {
      throw new Error(`gradient of AveragePool ${node.name}: only the 2x2, stride-2 pool is supported`);
    }
    const up = g.node("Resize", [only(gy, node), "", g.floats([1, 1, 2, 2], [4])], { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" });
    let gx = g.node("Mul", [up, g.floats([0.25])]);
    const x = shapeOf(ctx, node.inputs[0]);
    const odd = [(x[2] as number) % 2, (x[3] as number) % 2];
    if (odd[0] || odd[1]) gx = g.node("Pad", [gx, g.ints([0, 0, 0, 0, 0, 0, odd[0], odd[1]])]);
    return [gx];
  },
  // x_hat = (x - mean) / sqrt(var + eps) over axes 2..; y = scale * x_hat + bias:
  // dx = rstd * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)), dx_hat = scale * dy
  InstanceNormalization: (ctx, node, gy, need) => {
    if (need[1]) noWeightGradient(node, 1);
    if (need[2]) noWeightGradient(node, 2);
    const { g } = ctx;
    const [x, scale] = node.inputs;
    const rank = shapeOf(ctx, x).length;
    const axes = { axes: Array.from({ length: rank - 2 }, (_, i) => i + 2), keepdims: 1 };
    const mean = (v: string) => g.node("ReduceMean", [v], axes);
    const centred = g.node("Sub", [x, mean(x)]);
    const variance = mean(g.node("Mul", [centred, centred]));
    const rstd = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [variance, g.floats([attr<number>(node, "epsilon", 1e-5)])])])]);
    const xHat = g.node("Mul", [centred, rstd]);
    const perChannel = g.node("Unsqueeze", [scale, g.ints(Array.from({ length: rank - 2 }, (_, i) => i + 1))]);
    const dxHat = g.node("Mul", [only(gy, node), perChannel]);
    const inner = g.node("Sub", [g.node("Sub", [dxHat, mean(dxHat)]), g.node("Mul", [xHat, mean(g.node("Mul", [dxHat, xHat]))])]);
    return [g.node("Mul", [rstd, inner]), null, null];
  },
  ReduceMean: (ctx, node, gy) => {
    const { g } = ctx;
    const x = shapeOf(ctx, node.inputs[0]);
    const axes = attr<number[]>(node, "axes").map((a) => (a < 0 ? a + x.length : a)).sort((a, b) => a - b);
    let count = 1;
    for (const a of axes) {
      if (typeof x[a] !== "number") throw new Error(`gradient of ReduceMean ${node.name}: cannot average over the symbolic axis ${a}`);
      count *= x[a] as number;
    }
    const kept = attr(node, "keepdims", 1) ? only(gy, node) : g.node("Unsqueeze", [only(gy, node), g.ints(axes)]);
    return [g.node("Mul", [g.node("Expand", [kept, g.node("Shape", [node.inputs[0]])]), g.floats([1 / count])])];
  },
  Concat: (ctx, node, gy, need) => {
    const axis = attr<number>(node, "axis");
    const rank = shapeOf(ctx, node.outputs[0]).length;
    const ax = axis < 0 ? axis + rank : axis;
    const sizes = node.inputs.map((v) => shapeOf(ctx, v)[ax] as number);
    const parts = ctx.g.nodeN("Split", [only(gy, node), ctx.g.ints(sizes)], sizes.length, { axis: ax }, "concat_grad");
    return parts.map((p, i) => (need[i] ? p : null));
  },
  Split: (ctx, node, gy) => {
    const { g } = ctx;
    const parts = gy.map((d, i) => d ?? g.node("ConstantOfShape", [g.node("Shape", [node.outputs[i]])]));
    return [g.node("Concat", parts, { axis: attr<number>(node, "axis") })];
  },
  // the gradient of a slice is zero outside it: pad it back to the input's size
  Slice: (ctx, node, gy) => {
    if (node.inputs.length > 4) throw new Error(`gradient of Slice ${node.name}: steps are not supported`);
    const x = shapeOf(ctx, node.inputs[0]);
    const values = (i: number) => Array.from(ctx.g.initializers.find((v) => v.name === node.inputs[i])!.data as BigInt64Array, Number);
    const [starts, ends, axes] = [values(1), values(2), values(3)];
    const pads = new Array(2 * x.length).fill(0);
    axes.forEach((a, i) => {
      const ax = a < 0 ? a + x.length : a;
      const d = x[ax] as number;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      pads[ax] = clamp(starts[i]);
      pads[ax + x.length] = d - clamp(ends[i]);
    });
    return [ctx.g.node("Pad", [only(gy, node), ctx.g.ints(pads)]), null, null, null];
  },
};
