/**
 * Building an ONNX graph in code: unique value names, nodes with typed attributes, weights and
 * constants as initializers, graph inputs and outputs. The emitters (./emit-*) only call `node`.
 */
import { AttributeProto, AttributeValue, ElemType, GraphProto, NodeProto, TensorProto, ValueInfoProto } from "./onnx-proto";

/** Default-domain operator set the emitters target. */
export const OPSET = 17;

/** A node attribute: integer, integer list, string, or `{ float: x }` (ONNX types them). */
export type Attr = number | readonly number[] | string | { float: number };

/** An initializer before serialisation: its values stay in memory until the model is written. */
export interface Initializer {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

function attribute(name: string, a: Attr): AttributeProto {
  let value: AttributeValue;
  if (typeof a === "string") value = { type: "string", value: a };
  else if (typeof a === "number") {
    if (!Number.isInteger(a)) throw new Error(`attribute ${name}: ${a} is not an integer; write { float: ${a} } for a float attribute`);
    value = { type: "int", value: a };
  } else if (Array.isArray(a)) value = { type: "ints", value: a as readonly number[] };
  else value = { type: "float", value: (a as { float: number }).float };
  return { name, value };
}

function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private used = new Set<string>();
  private constants = new Map<string, string>();

  /** A value name not used yet, from a readable hint (a state_dict name or an op). */
  fresh(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Declare a graph input; dimensions are sizes or symbolic names ("N"). */
  input(name: string, elemType: ElemType, shape: readonly (number | string)[]): string {
    if (this.used.has(name)) throw new Error(`graph input ${name} is already a value of this graph`);
    this.used.add(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Expose `value` as a graph output called `name`. */
  output(name: string, value: string, elemType: ElemType, shape: readonly (number | string)[]): void {
    const out = value === name ? name : this.node("Identity", [value], {}, name);
    if (out !== name) throw new Error(`graph output name ${name} is already taken by another value`);
    this.outputs.push({ name, elemType, shape });
  }

  /** A weight (float32) or index table (int64) as an initializer. */
  initializer(hint: string, data: Float32Array | BigInt64Array, dims: readonly number[]): string {
    let n = 1;
    for (const d of dims) n *= d;
    if (n !== data.length) throw new Error(`initializer ${hint}: ${data.length} values do not fill dims [${dims}]`);
    const name = this.fresh(hint);
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, slice bounds), shared between the nodes that use it. */
  ints(values: readonly number[]): string {
    return this.constant(`i64[${values}]`, () => this.initializer("const_i64", BigInt64Array.from(values, BigInt), [values.length]));
  }

  /** A float32 constant of the given dims (rank 0 for a scalar), shared between the nodes that use it. */
  floats(values: readonly number[], dims: readonly number[] = []): string {
    return this.constant(`f32[${values}]/[${dims}]`, () => this.initializer("const_f32", Float32Array.from(values), dims));
  }

  /** Add one node; returns its (single) output. */
  node(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, hint: string = opType): string {
    return this.nodeN(opType, inputs, 1, attrs, hint)[0];
  }

  /** Add one node with `outputs` outputs. */
  nodeN(opType: string, inputs: readonly string[], outputs: number, attrs: Record<string, Attr> = {}, hint: string = opType): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? hint : `${hint}:${i}`));
    const attributes = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    this.nodes.push({ opType, inputs, outputs: outs, name: outs[0], attributes });
    return outs;
  }

  /** The graph as ONNX messages, every initializer inline (raw_data) unless `place` puts it elsewhere. */
  toGraph(name: string, place: (init: Initializer, raw: Uint8Array) => Partial<TensorProto> = () => ({})): GraphProto {
    const initializers = this.initializers.map((init): TensorProto => {
      const raw = bytesOf(init.data);
      const elemType: ElemType = init.data instanceof Float32Array ? "float32" : "int64";
      return { name: init.name, elemType, dims: init.dims, raw, ...place(init, raw) };
    });
    return { name, nodes: this.nodes, initializers, inputs: this.inputs, outputs: this.outputs };
  }

  private constant(key: string, make: () => string): string {
    let name = this.constants.get(key);
    if (!name) {
      name = make();
      this.constants.set(key, name);
    }
    return name;
  }
}
