/**
 * Reverse-mode rules (vector-Jacobian products) for the elementwise, reduction and shape operators of
 * the emitted graphs (the layers' own rules, with their parameter gradients, are in
 * ./grad-rules-layers): given the gradient gy of a node's outputs, the nodes that compute the
 * gradient of each input that needs one. Shapes come from ./shapes.
 */
import { GraphBuilder } from "./graph";
import { NodeProto } from "./onnx-proto";
import { attr, Shape } from "./shapes";

export interface GradContext {
  g: GraphBuilder;
  shapes: Map<string, Shape>;
  /** the forward node computing each value */
  producers: Map<string, NodeProto>;
  /** how many forward nodes read each value */
  uses: Map<string, number>;
}

/** gy per output (null: no gradient reaches it), need per input -> gradient per input (null if not needed). */
export type Rule = (ctx: GradContext, node: NodeProto, gy: (string | null)[], need: boolean[]) => (string | null)[];

export function shapeOf(ctx: GradContext, v: string): Shape {
  const s = ctx.shapes.get(v);
  if (!s) throw new Error(`gradient: no shape for ${v}`);
  return s;
}

export function only(gy: (string | null)[], node: NodeProto): string {
  if (gy.length !== 1 || gy[0] === null) throw new Error(`gradient of ${node.opType} ${node.name}: expected one output gradient`);
  return gy[0];
}

/** Sum `grad` (shaped like `out`) down to the shape of `input`, undoing numpy broadcasting. */
export function unbroadcast(ctx: GradContext, grad: string, input: string, out: string): string {
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
export function swapLast(g: GraphBuilder, v: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return g.node("Transpose", [v], { perm });
}

/** Reshape-like ops: the gradient takes the input's shape back. */
const reshapeBack: Rule = (ctx, node, gy) => [ctx.g.node("Reshape", [only(gy, node), ctx.g.node("Shape", [node.inputs[0]])]), null];

/** Each input of a binary elementwise op: its local derivative times gy (null: d/d input = gy), unbroadcast. */
function binary(ctx: GradContext, node: NodeProto, need: boolean[], parts: (() => string)[]): (string | null)[] {
  return node.inputs.map((v, i) => (need[i] ? unbroadcast(ctx, parts[i](), v, node.outputs[0]) : null));
}

/** Route gy to the inputs a boolean `cond` selects: [where(cond, gy, 0), where(cond, 0, gy)]. */
function routed(g: GraphBuilder, cond: string, d: string): [string, string] {
  const zero = g.floats([0]);
  return [g.node("Where", [cond, d, zero]), g.node("Where", [cond, zero, d])];
}

export const TENSOR_RULES: Record<string, Rule> = {
  Identity: (_, node, gy) => [only(gy, node)],
  Transpose: (ctx, node, gy) => {
    const perm = attr<number[]>(node, "perm");
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [ctx.g.node("Transpose", [only(gy, node)], { perm: inverse })];
  },
  Reshape: reshapeBack,
  Unsqueeze: reshapeBack,
  Flatten: reshapeBack,
  Add: (ctx, node, gy, need) => binary(ctx, node, need, [() => only(gy, node), () => only(gy, node)]),
  Sub: (ctx, node, gy, need) => binary(ctx, node, need, [() => only(gy, node), () => ctx.g.node("Neg", [only(gy, node)])]),
  Mul: (ctx, node, gy, need) => {
    const { g } = ctx;
    const [a, b] = node.inputs;
    const d = only(gy, node);
    const s = ctx.producers.get(b);
    if (s?.opType === "Sigmoid" && s.inputs[0] === a && ctx.uses.get(b) === 1) {
      // SiLU y = x sigmoid(x), its sigmoid read nowhere else: dx = dy (s + y (1 - s)) in one
      // expression (the sigmoid then receives no gradient of its own)
      const local = g.node("Add", [b, g.node("Mul", [node.outputs[0], g.node("Sub", [g.floats([1]), b])])], {}, "silu_grad");
      return [g.node("Mul", [d, local]), null];
    }
    return binary(ctx, node, need, [() => g.node("Mul", [d, b]), () => g.node("Mul", [d, a])]);
  },
  // y = a / b: da = dy / b, db = -dy y / b
  Div: (ctx, node, gy, need) => {
    const { g } = ctx;
    const b = node.inputs[1];
    const d = only(gy, node);
    return binary(ctx, node, need, [() => g.node("Div", [d, b]), () => g.node("Neg", [g.node("Div", [g.node("Mul", [d, node.outputs[0]]), b])])]);
  },
  Neg: (ctx, node, gy) => [ctx.g.node("Neg", [only(gy, node)])],
  // y = exp(x): dx = dy y
  Exp: (ctx, node, gy) => [ctx.g.node("Mul", [only(gy, node), node.outputs[0]])],
  // y = log(x): dx = dy / x
  Log: (ctx, node, gy) => [ctx.g.node("Div", [only(gy, node), node.inputs[0]])],
  // y = tanh(x): dx = dy (1 - y^2)
  Tanh: (ctx, node, gy) => {
    const { g } = ctx;
    const y = node.outputs[0];
    return [g.node("Mul", [only(gy, node), g.node("Sub", [g.floats([1]), g.node("Mul", [y, y])])])];
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
  // max(a, b): the gradient goes to a where a >= b, else to b (tf.maximum's convention at ties)
  Max: (ctx, node, gy, need) => {
    if (node.inputs.length !== 2) throw new Error(`gradient of Max ${node.name}: only two operands are supported`);
    const [ga, gb] = routed(ctx.g, ctx.g.node("GreaterOrEqual", node.inputs.slice()), only(gy, node));
    return binary(ctx, node, need, [() => ga, () => gb]);
  },
  Where: (ctx, node, gy, need) => {
    const [cond, a, b] = node.inputs;
    const [ga, gb] = routed(ctx.g, cond, only(gy, node));
    return [null, need[1] ? unbroadcast(ctx, ga, a, node.outputs[0]) : null, need[2] ? unbroadcast(ctx, gb, b, node.outputs[0]) : null];
  },
  // y = softmax(x): dx = y * (dy - sum(dy * y))
  Softmax: (ctx, node, gy) => {
    const { g } = ctx;
    const y = node.outputs[0];
    const d = only(gy, node);
    const dot = g.node("ReduceSum", [g.node("Mul", [d, y]), g.ints([attr(node, "axis", -1)])], { keepdims: 1 });
    return [g.node("Mul", [y, g.node("Sub", [d, dot])])];
  },
  // y = log_softmax(x): dx = dy - softmax(x) sum(dy)
  LogSoftmax: (ctx, node, gy) => {
    const { g } = ctx;
    const d = only(gy, node);
    const sum = g.node("ReduceSum", [d, g.ints([attr(node, "axis", -1)])], { keepdims: 1 });
    return [g.node("Sub", [d, g.node("Mul", [g.node("Exp", [node.outputs[0]]), sum])])];
  },
  ReduceMean: (ctx, node, gy) => {
    const { g } = ctx;
    const x = shapeOf(ctx, node.inputs[0]);
    const axes = attr<number[]>(node, "axes")
      .map((a) => (a < 0 ? a + x.length : a))
      .sort((a, b) => a - b);
    let count = 1;
    for (const a of axes) {
      if (typeof x[a] !== "number") throw new Error(`gradient of ReduceMean ${node.name}: cannot average over the symbolic axis ${a}`);
      count *= x[a] as number;
    }
    const kept = attr(node, "keepdims", 1) ? only(gy, node) : g.node("Unsqueeze", [only(gy, node), g.ints(axes)]);
    return [g.node("Mul", [g.node("Expand", [kept, g.node("Shape", [node.inputs[0]])]), g.floats([1 / count])])];
  },
  ReduceSum: (ctx, node, gy) => {
    const { g } = ctx;
    const rank = shapeOf(ctx, node.inputs[0]).length;
    const axesInput = node.inputs[1];
    const init = axesInput ? g.initializers.find((v) => v.name === axesInput) : undefined;
    if (!init) throw new Error(`gradient of ReduceSum ${node.name}: the axes must be an int64 constant`);
    const axes = Array.from(init.data as BigInt64Array, (a) => (Number(a) < 0 ? Number(a) + rank : Number(a))).sort((a, b) => a - b);
    const kept = attr(node, "keepdims", 1) ? only(gy, node) : g.node("Unsqueeze", [only(gy, node), g.ints(axes)]);
    return [g.node("Expand", [kept, g.node("Shape", [node.inputs[0]])]), null];
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
