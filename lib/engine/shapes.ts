/**
 * Static shapes of every value of an emitted graph, the batch dimension kept symbolic ("N"): what the
 * reverse-mode rules (./grad-rules) need to undo broadcasting, concatenation, slicing and strided
 * convolutions. One rule per operator the emitters use, as the ONNX operator specs define them.
 */
import { Attr, GraphBuilder } from "./graph";
import { NodeProto } from "./onnx-proto";

/** A dimension: a size, or the symbolic batch "N". */
export type Dim = number | string;
export type Shape = Dim[];

/** A node's attribute value, or `fallback` when absent. */
export function attr<T extends Attr>(node: NodeProto, name: string, fallback?: T): T {
  const a = node.attributes?.find((x) => x.name === name);
  if (a) return a.value.value as T;
  if (fallback === undefined) throw new Error(`${node.opType} ${node.name}: attribute ${name} is missing`);
  return fallback;
}

/** The sizes' product and the symbolic dimensions among `dims`. */
function factor(dims: readonly Dim[]): { size: number; symbols: string[] } {
  let size = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === "string") symbols.push(d);
    else size *= d;
  }
  return { size, symbols };
}

/** The product of dims, symbolic only when it is a lone symbol (as `[N]` or `[N, 1]`). */
function product(dims: readonly Dim[], where: string): Dim {
  const { size, symbols } = factor(dims);
  if (symbols.length === 0) return size;
  if (symbols.length === 1 && size === 1) return symbols[0];
  throw new Error(`${where}: the product of [${dims}] is not a size or a lone symbol`);
}

/** numpy broadcasting of two shapes */
function broadcast(a: Shape, b: Shape, where: string): Shape {
  const r = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new Error(`${where}: shapes [${a}] and [${b}] do not broadcast`);
  }
  return out;
}

function positive(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Reshape's target: 0 copies the input dim, -1 takes what is left (the symbols must cancel). */
function reshape(input: Shape, target: readonly number[], where: string): Shape {
  const out: Shape = target.map((d, i) => (d === 0 ? input[i] : d));
  const free = out.indexOf(-1);
  if (free < 0) return out;
  const total = factor(input);
  const known = factor(out.filter((_, i) => i !== free));
  if (total.symbols.join() !== known.symbols.join()) throw new Error(`${where}: cannot infer -1 in [${target}] from [${input}]`);
  out[free] = total.size / known.size;
  return out;
}

/** Shapes of all values of `g`: its inputs, initializers and every node output. */
export function inferShapes(g: GraphBuilder): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  const ints = new Map<string, number[]>();
  /** values computed by Shape: the shape they hold */
  const shapeValues = new Map<string, Shape>();
  for (const i of g.inputs) shapes.set(i.name, i.shape.slice());
  for (const init of g.initializers) {
    shapes.set(init.name, init.dims.slice());
    if (init.data instanceof BigInt64Array) ints.set(init.name, Array.from(init.data, Number));
  }
  const constInts = (name: string, where: string): number[] => {
    const v = ints.get(name);
    if (!v) throw new Error(`${where}: ${name} must be an int64 constant`);
    return v;
  };
  for (const node of g.nodes) {
    const where = `${node.opType} ${node.name}`;
    const s = node.inputs.map((i) => (i === "" ? [] : shapes.get(i)));
    if (s.some((x) => x === undefined)) throw new Error(`${where}: an input has no shape yet (nodes out of order?)`);
    const x = s[0] as Shape;
    let outs: Shape[];
    switch (node.opType) {
      case "Identity":
      case "Sigmoid":
      case "Relu":
      case "Cos":
      case "Sin":
      case "Softmax":
      case "LogSoftmax":
      case "InstanceNormalization":
      case "Neg":
      case "Sqrt":
      case "Reciprocal":
      case "Exp":
      case "Log":
      case "Tanh":
      case "Cast":
        outs = [x];
        break;
      case "Add":
      case "Sub":
      case "Mul":
      case "Div":
      case "Max":
      case "Equal":
      case "Less":
      case "Greater":
      case "GreaterOrEqual":
        if (s.length !== 2) throw new Error(`${where}: expected two operands`);
        outs = [broadcast(x, s[1] as Shape, where)];
        break;
      case "Where":
        outs = [broadcast(broadcast(x, s[1] as Shape, where), s[2] as Shape, where)];
        break;
      case "Transpose":
        outs = [attr<number[]>(node, "perm").map((p) => x[p])];
        break;
      case "Reshape": {
        const target = node.inputs[1];
        outs = [shapeValues.get(target)?.slice() ?? reshape(x, constInts(target, where), where)];
        break;
      }
      case "Shape":
        shapeValues.set(node.outputs[0], x);
        outs = [[x.length]];
        break;
      case "Unsqueeze": {
        const raw = constInts(node.inputs[1], where);
        const axes = raw.map((a) => positive(a, x.length + raw.length)).sort((a, b) => a - b);
        const out = x.slice();
        for (const a of axes) out.splice(a, 0, 1);
        outs = [out];
        break;
      }
      case "Flatten": {
        const axis = attr(node, "axis", 1);
        outs = [[product(x.slice(0, axis), where), product(x.slice(axis), where)]];
        break;
      }
      case "Concat": {
        const axis = positive(attr<number>(node, "axis"), x.length);
        const sizes = (s as Shape[]).map((v) => v[axis]);
        if (sizes.some((d) => typeof d !== "number")) throw new Error(`${where}: cannot concatenate along a symbolic axis`);
        const out = x.slice();
        out[axis] = (sizes as number[]).reduce((a, b) => a + b, 0);
        outs = [out];
        break;
      }
      case "Split": {
        const axis = positive(attr<number>(node, "axis"), x.length);
        const part = x.slice();
        part[axis] = (x[axis] as number) / node.outputs.length;
        outs = node.outputs.map(() => part.slice());
        break;
      }
      case "Slice": {
        const [starts, ends, axes] = [1, 2, 3].map((i) => constInts(node.inputs[i], where));
        const out = x.slice();
        axes.forEach((a, i) => {
          const ax = positive(a, x.length);
          const d = x[ax] as number;
          const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
          out[ax] = Math.max(0, clamp(ends[i]) - clamp(starts[i]));
        });
        outs = [out];
        break;
      }
      case "Conv":
      case "AveragePool": {
        const k = attr<number[]>(node, "kernel_shape");
        const pads = attr<number[]>(node, "pads", [0, 0, 0, 0]);
        const strides = attr<number[]>(node, "strides", [1, 1]);
        const size = (i: number) => Math.floor(((x[2 + i] as number) + pads[i] + pads[i + 2] - k[i]) / strides[i]) + 1;
        const channels = node.opType === "Conv" ? (s[1] as Shape)[0] : x[1];
        outs = [[x[0], channels, size(0), size(1)]];
        break;
      }
      case "Gemm": {
        const b = s[1] as Shape;
        outs = [[attr(node, "transA", 0) ? x[1] : x[0], attr(node, "transB", 0) ? b[0] : b[1]]];
        break;
      }
      case "MatMul": {
        const b = s[1] as Shape;
        outs = [[...broadcast(x.slice(0, -2), b.slice(0, -2), where), x[x.length - 2], b[b.length - 1]]];
        break;
      }
      case "Resize": {
        const scales = g.initializers.find((i) => i.name === node.inputs[2])?.data;
        if (!(scales instanceof Float32Array)) throw new Error(`${where}: scales must be a float constant`);
        outs = [x.map((d, i) => (scales[i] === 1 ? d : Math.floor((d as number) * scales[i])))];
        break;
      }
      case "ReduceMean": {
        const axes = attr<number[]>(node, "axes").map((a) => positive(a, x.length));
        const keep = attr(node, "keepdims", 1) === 1;
        outs = [keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))];
        break;
      }
      case "ReduceSum": {
        const axes = constInts(node.inputs[1], where).map((a) => positive(a, x.length));
        const keep = attr(node, "keepdims", 1) === 1;
        outs = [keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))];
        break;
      }
      case "OneHot": {
        if (positive(attr(node, "axis", -1), x.length + 1) !== x.length) throw new Error(`${where}: only a last-axis OneHot is supported`);
        outs = [[...x, constInts(node.inputs[1], where)[0]]];
        break;
      }
      case "Gather":
        outs = [[...(s[1] as Shape), ...x.slice(1)]];
        break;
      case "Pad": {
        const pads = constInts(node.inputs[1], where);
        outs = [x.map((d, i) => (d as number) + pads[i] + pads[i + x.length])];
        break;
      }
      default:
        throw new Error(`shape inference has no rule for ${node.opType} (${node.name})`);
    }
    node.outputs.forEach((o, i) => shapes.set(o, outs[i]));
  }
  return shapes;
}
