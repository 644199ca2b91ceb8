/**
 * The gradient of a scalar objective with respect to a graph input, emitted into the same graph by
 * reverse-mode accumulation: nodes visited from the objective back to the input, each through its
 * rule in ./grad-rules, with the gradients of values used several times summed. ONNX Runtime has
 * no autograd; this gives classifier guidance grad_x log p(y | x_t, t) in one run.
 */
import { GraphBuilder } from "./graph";
import { GradContext, RULES } from "./grad-rules";
import { inferShapes } from "./shapes";

/**
 * Append the nodes computing d(objective)/d(input), where `seed` = d(objective)/d(`output`) is a
 * value of the graph (e.g. onehot(y) - softmax(logits) for sum log p(y | x)); returns its name.
 * Shapes are inferred from the forward nodes, before `seed` adds its own.
 */
export function appendInputGradient(g: GraphBuilder, input: string, output: string, seed: (g: GraphBuilder) => string): string {
  const forward = g.nodes.slice();
  const ctx: GradContext = { g, shapes: inferShapes(g) };
  // values that depend on the input: only those carry gradient
  const depends = new Set([input]);
  for (const node of forward) if (node.inputs.some((i) => depends.has(i))) for (const o of node.outputs) depends.add(o);
  if (!depends.has(output)) throw new Error(`appendInputGradient: ${output} does not depend on ${input}`);

  const contributions = new Map<string, string[]>([[output, [seed(g)]]]);
  const total = (v: string): string | null => {
    const parts = contributions.get(v);
    if (!parts) return null;
    const sum = parts.reduce((a, b) => g.node("Add", [a, b], {}, `grad_sum`));
    contributions.set(v, [sum]);
    return sum;
  };
  for (let n = forward.length - 1; n >= 0; n--) {
    const node = forward[n];
    const gy = node.outputs.map(total);
    if (gy.every((d) => d === null)) continue;
    const need = node.inputs.map((i) => depends.has(i));
    if (!need.some(Boolean)) continue;
    const rule = RULES[node.opType];
    if (!rule) throw new Error(`appendInputGradient: no reverse-mode rule for ${node.opType} (${node.name})`);
    rule(ctx, node, gy, need).forEach((d, i) => {
      if (d === null || !need[i]) return;
      const list = contributions.get(node.inputs[i]) ?? [];
      list.push(d);
      contributions.set(node.inputs[i], list);
    });
  }
  const grad = total(input);
  if (grad === null) throw new Error(`appendInputGradient: no gradient reached ${input}`);
  return grad;
}
