/**
 * The fast engine: the networks of lib/models emitted as ONNX graphs from the same plan the tfjs
 * executor walks (./emit-model), serialised by our own encoder of the ONNX messages (./serialize),
 * and run on ONNX Runtime in a worker thread (./session, ./onnx-model). Gradients are emitted into
 * the graphs by reverse-mode rules per op (./reverse-mode): the classifier's guidance gradient, and
 * a training step's parameter gradients (./training-graph, ./onnx-trainer). `chooseEngine`
 * (./choose) decides between it and tfjs.
 */
export * from "./graph";
export * from "./emit-model";
export * from "./reverse-mode";
export * from "./weights";
export * from "./serialize";
export * from "./session";
export * from "./onnx-model";
export * from "./choose";
export * from "./training-graph";
export * from "./onnx-trainer";
