/**
 * The fast engine: the networks of lib/models emitted as ONNX graphs from the same plan the tfjs
 * executor walks, and run on ONNX Runtime in a worker thread.
 */
export * from "./protobuf";
export * from "./onnx-proto";
export * from "./graph";
export * from "./emit-ops";
export * from "./emit-attention";
export * from "./emit-layers";
export * from "./emit-model";
export * from "./weights";
export * from "./serialize";
export * from "./session";
export * from "./shapes";
export * from "./grad-rules";
export * from "./input-gradient";
export * from "./onnx-model";
