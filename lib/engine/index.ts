/**
 * The fast engine: the networks of lib/models emitted as ONNX graphs from the same plan the tfjs
 * executor walks (./emit-model), serialised by our own encoder of the ONNX messages (./serialize),
 * and run on ONNX Runtime in a worker thread (./session, ./onnx-model). The classifier's guidance
 * gradient is emitted into its graph by reverse-mode rules per op (./input-gradient). `chooseEngine`
 * (./choose) decides between it and tfjs.
 */
export * from "./graph";
export * from "./emit-model";
export * from "./input-gradient";
export * from "./weights";
export * from "./serialize";
export * from "./session";
export * from "./onnx-model";
export * from "./choose";
