/**
 * Gradients of a scalar objective emitted into the same graph by reverse-mode accumulation: nodes
 * visited from the objective back to the values it is differentiated with respect to (graph inputs:
 * the image x for classifier guidance, the parameters for training), each through its rule in
 * ./grad-rules, with the gradients of values used several times summed. ONNX Runtime has no
 * autograd; this gives grad_x log p(y | x_t, t) or a training step's parameter gradients in one run.
 */
import { GraphBuilder } from "./graph";
import type { NodeProto } from "./onnx-proto";
import { GradContext, Rule, TENSOR_RULES } from "./grad-rules";
import { LAYER_RULES } from "./grad-rules-layers";
import { inferShapes } from "./shapes";

const RULES: Record<string, Rule> = { ...TENSOR_RULES, ...LAYER_RULES };

export interface GradientRequest {
  /** the value differentiated (a scalar loss, or logits with a seed that is not all ones) */
  output: string;
  /** d(objective)/d(output), a value of the graph built by this callback */
  seed: (g: GraphBuilder) => string;
  /** values to differentiate with respect to (graph inputs) */
  wrt: readonly string[];
  /** values that pass no gradient back (stop-gradient: the frozen mean of the hybrid loss) */
  constants?: ReadonlySet<string>;
}

/**
 * Append the nodes computing d(objective)/d(v) for every v of `wrt`; returns the gradient's value
 * name per v, or null for a v the objective does not depend on. Shapes are inferred from the
 * forward nodes, before the seed adds its own.
 */
export function appendGradients(g: GraphBuilder, req: GradientRequest): Map<string, string | null> {
  const forward = g.nodes.slice();
  const producers = new Map<string, NodeProto>();
  const uses = new Map<string, number>();
  for (const node of forward) {
    for (const o of node.outputs) producers.set(o, node);
    for (const i of node.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  const ctx: GradContext = { g, shapes: inferShapes(g), producers, uses };
  const constants = req.constants ?? new Set<string>();
  // values that depend on some v of wrt through values that are not constants: only those carry gradient
  const depends = new Set(req.wrt);
  for (const node of forward) {
    if (node.inputs.some((i) => depends.has(i))) for (const o of node.outputs) if (!constants.has(o)) depends.add(o);
  }
  if (!depends.has(req.output))
    throw new Error(`appendGradients: ${req.output} depends on none of ${req.wrt.slice(0, 4).join(", ")}${req.wrt.length > 4 ? ", ..." : ""}`);

  const contributions = new Map<string, string[]>([[req.output, [req.seed(g)]]]);
  const total = (v: string): string | null => {
    const parts = contributions.get(v);
    if (!parts) return null;
    const sum = parts.reduce((a, b) => g.node("Add", [a, b], {}, `grad_sum`));
    contributions.set(v, [sum]);
    return sum;
  };
  for (let n = forward.length - 1; n >= 0; n--) {
    const node = forward[n];
    if (!node.outputs.some((o) => depends.has(o))) continue;
    const gy = node.outputs.map(total);
    if (gy.every((d) => d === null)) continue;
    const need = node.inputs.map((i) => depends.has(i));
    if (!need.some(Boolean)) continue;
    const rule = RULES[node.opType];
    if (!rule) throw new Error(`appendGradients: no reverse-mode rule for ${node.opType} (${node.name})`);
    rule(ctx, node, gy, need).forEach((d, i) => {
      if (d === null || !need[i]) return;
      const list = contributions.get(node.inputs[i]) ?? [];
      list.push(d);
      contributions.set(node.inputs[i], list);
    });
  }
  return new Map(req.wrt.map((v) => [v, total(v)]));
}

/**
 * Append the nodes computing d(objective)/d(input), where `seed` = d(objective)/d(`output`) is a
 * value of the graph (e.g. onehot(y) - softmax(logits) for sum log p(y | x)); returns its name.
 */
export function appendInputGradient(g: GraphBuilder, input: string, output: string, seed: (g: GraphBuilder) => string): string {
  const grad = appendGradients(g, { output, seed, wrt: [input] }).get(input);
  if (!grad) throw new Error(`appendInputGradient: no gradient reached ${input}`);
  return grad;
}
