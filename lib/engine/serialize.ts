/**
 * An emitted graph as ONNX bytes: one ModelProto (IR 8, opset 17), the weights inline, or, for
 * models over protobuf's 2 GB limit (ImageNet 256 and 512 in float32), in an external data file
 * beside the model (TensorProto.external_data: location, offset, length).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GraphBuilder, Initializer, OPSET } from "./graph";
import { encodeModel, TensorProto } from "./onnx-proto";

/** ONNX IR version of opset 17. */
export const IR_VERSION = 8;
/** A protobuf message may not exceed 2 GiB; keep 16 MiB of it for the graph itself. */
const INLINE_LIMIT = 2 ** 31 - 2 ** 24;
/** Tensors this small stay inline even with external data (onnx's own default threshold). */
const MIN_EXTERNAL_BYTES = 1024;
/** External tensors start on 64-byte boundaries, so that a runtime may use them in place. */
const ALIGN = 64;

export interface SerializeOptions {
  /** "auto" (default): external data only when the weights would not fit a 2 GB protobuf */
  externalData?: "auto" | "always" | "never";
  /** file name of the external data, relative to the model file; default "weights.bin" */
  location?: string;
  /** recorded in ModelProto.doc_string */
  docString?: string;
}

/** The model file's bytes, and the external data file's when there is one. */
export interface SerializedModel {
  model: Uint8Array;
  externalData: { path: string; data: Uint8Array } | null;
}

function checkEndianness(): void {
  if (os.endianness() !== "LE") throw new Error("ONNX raw tensor data is little-endian; this machine is big-endian, which the engine does not support");
}

/** Serialise a graph whose outputs and inputs are declared. */
export function serializeGraph(graph: GraphBuilder, name: string, opts: SerializeOptions = {}): SerializedModel {
  checkEndianness();
  if (graph.outputs.length === 0) throw new Error(`serializeGraph(${name}): the graph has no outputs`);
  const mode = opts.externalData ?? "auto";
  const total = graph.initializers.reduce((s, i) => s + i.data.byteLength, 0);
  const external = mode === "always" || (mode === "auto" && total > INLINE_LIMIT);
  if (mode === "never" && total > INLINE_LIMIT) {
    throw new Error(
      `serializeGraph(${name}): ${(total / 2 ** 30).toFixed(2)} GiB of weights exceed protobuf's 2 GB limit; use externalData "auto" or "always"`,
    );
  }
  const location = opts.location ?? "weights.bin";
  let offset = 0;
  const placed: { raw: Uint8Array; offset: number }[] = [];
  const place = (_init: Initializer, raw: Uint8Array): Partial<TensorProto> => {
    if (!external || raw.byteLength < MIN_EXTERNAL_BYTES) return {};
    offset = Math.ceil(offset / ALIGN) * ALIGN;
    placed.push({ raw, offset });
    const at = { location, offset, length: raw.byteLength };
    offset += raw.byteLength;
    return { raw: undefined, external: at };
  };
  const g = graph.toGraph(name, place);
  const model = encodeModel({
    irVersion: IR_VERSION,
    opsets: [{ domain: "", version: OPSET }],
    producerName: "adm-ts",
    producerVersion: "0.1.0",
    docString: opts.docString,
    graph: g,
  });
  if (!external) return { model, externalData: null };
  const data = new Uint8Array(offset);
  for (const p of placed) data.set(p.raw, p.offset);
  return { model, externalData: { path: location, data } };
}

/** Write `model.onnx` (any name) and its external data file beside it. */
export function writeOnnx(file: string, s: SerializedModel): void {
  fs.writeFileSync(file, s.model);
  if (s.externalData) fs.writeFileSync(path.join(path.dirname(file), s.externalData.path), s.externalData.data);
}
