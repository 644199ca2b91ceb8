/**
 * The ONNX messages an inference graph needs (onnx/onnx.proto, IR version 8), as plain data, and
 * their protobuf encoding with the field numbers of onnx.proto: ModelProto, OperatorSetIdProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto (raw or external data), ValueInfoProto with its
 * TypeProto.Tensor and TensorShapeProto.
 */
import { ProtoWriter } from "./protobuf";

/** TensorProto.DataType values used here. */
export const DATA_TYPE = { float32: 1, int32: 6, int64: 7 } as const;
export type ElemType = keyof typeof DATA_TYPE;

/** AttributeProto.AttributeType values used here. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;

export type AttributeValue =
  { type: "float"; value: number } | { type: "int"; value: number } | { type: "string"; value: string } | { type: "ints"; value: readonly number[] };

export interface AttributeProto {
  name: string;
  value: AttributeValue;
}

export interface NodeProto {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  /** empty for the default ai.onnx domain */
  domain?: string;
  attributes?: readonly AttributeProto[];
}

/** Where a tensor's bytes sit in an external data file (TensorProto.external_data entries). */
export interface ExternalLocation {
  location: string;
  offset: number;
  length: number;
}

export interface TensorProto {
  name: string;
  elemType: ElemType;
  dims: readonly number[];
  /** little-endian element bytes (raw_data), or ... */
  raw?: Uint8Array;
  /** ... the place of those bytes in an external file (data_location EXTERNAL) */
  external?: ExternalLocation;
}

/** A graph input or output: a tensor of `elemType` with fixed or named (symbolic) dimensions. */
export interface ValueInfoProto {
  name: string;
  elemType: ElemType;
  shape: readonly (number | string)[];
}

export interface GraphProto {
  name: string;
  nodes: readonly NodeProto[];
  initializers: readonly TensorProto[];
  inputs: readonly ValueInfoProto[];
  outputs: readonly ValueInfoProto[];
}

export interface ModelProto {
  irVersion: number;
  /** operator sets, e.g. `[{ domain: "", version: 17 }]` */
  opsets: readonly { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: GraphProto;
}

export function encodeAttribute(a: AttributeProto): ProtoWriter {
  const w = new ProtoWriter().stringField(1, a.name).intField(20, ATTRIBUTE_TYPE[a.value.type]);
  const v = a.value;
  switch (v.type) {
    case "float":
      return w.floatField(2, v.value);
    case "int":
      return w.intField(3, v.value);
    case "string":
      return w.stringField(4, v.value);
    case "ints":
      // repeated int64 ints = 8, unpacked (proto2), one key per element
      for (const x of v.value) w.intField(8, x);
      return w;
  }
}

export function encodeNode(n: NodeProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  if (n.name) w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const a of n.attributes ?? []) w.messageField(5, encodeAttribute(a));
  if (n.domain) w.stringField(7, n.domain);
  return w;
}

export function encodeTensor(t: TensorProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.intField(1, d);
  w.intField(2, DATA_TYPE[t.elemType]).stringField(8, t.name);
  if (t.raw) w.bytesField(9, t.raw);
  if (t.external) {
    const entries: [string, string][] = [
      ["location", t.external.location],
      ["offset", String(t.external.offset)],
      ["length", String(t.external.length)],
    ];
    for (const [key, value] of entries) w.messageField(13, new ProtoWriter().stringField(1, key).stringField(2, value));
    w.intField(14, 1); // DataLocation.EXTERNAL
  }
  return w;
}

export function encodeValueInfo(v: ValueInfoProto): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = typeof d === "number" ? new ProtoWriter().intField(1, d) : new ProtoWriter().stringField(2, d);
    shape.messageField(1, dim);
  }
  const tensorType = new ProtoWriter().intField(1, DATA_TYPE[v.elemType]).messageField(2, shape);
  return new ProtoWriter().stringField(1, v.name).messageField(2, new ProtoWriter().messageField(1, tensorType));
}

export function encodeGraph(g: GraphProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.messageField(1, encodeNode(n));
  w.stringField(2, g.name);
  for (const t of g.initializers) w.messageField(5, encodeTensor(t));
  for (const v of g.inputs) w.messageField(11, encodeValueInfo(v));
  for (const v of g.outputs) w.messageField(12, encodeValueInfo(v));
  return w;
}

export function encodeModel(m: ModelProto): Uint8Array {
  const w = new ProtoWriter().intField(1, m.irVersion).stringField(2, m.producerName).stringField(3, m.producerVersion);
  if (m.docString) w.stringField(6, m.docString);
  w.messageField(7, encodeGraph(m.graph));
  for (const o of m.opsets) w.messageField(8, new ProtoWriter().stringField(1, o.domain).intField(2, o.version));
  return w.finish();
}
