import { hashedParameter, hashedStateDict, hashedUniform } from "../../lib/io";
import { ParamSpec } from "../../lib/nn";

// printed by make_golden.py's hashed_uniform and hashed_parameter (numpy) for the same arguments
const PYTHON = {
  uniform: [0.21004700660705566, -0.4829810857772827, -0.10672211647033691, -0.8316048383712769],
  conv: [0.38118186593055725, -0.5609526038169861, 0.4077019691467285, 0.40385469794273376, 0.044932395219802856, -0.3919107913970947],
  groupNorm: [1.0622539520263672, 1.0310288667678833, 1.0099560022354126],
};

test("the same values as make_golden.py's numpy hash, bit for bit", () => {
  expect(Array.from(hashedUniform("x", 4, 7))).toEqual(PYTHON.uniform);
  expect(Array.from(hashedParameter("input_blocks.0.0.weight", [2, 3, 1, 1], 5))).toEqual(PYTHON.conv.map(Math.fround));
  expect(Array.from(hashedParameter("out.0.weight", [3], 5))).toEqual(PYTHON.groupNorm.map(Math.fround));
});

test("kernels lie within 1/sqrt(fan_in), and seeds and names give different values", () => {
  const w = hashedParameter("a.weight", [64, 32, 3, 3], 1);
  const bound = 1 / Math.sqrt(32 * 9);
  expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
  expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.99 * bound);
  expect(hashedParameter("a.weight", [8, 8], 2)).not.toEqual(hashedParameter("a.weight", [8, 8], 1));
  expect(hashedParameter("b.weight", [8, 8], 1)).not.toEqual(hashedParameter("a.weight", [8, 8], 1));
});

test("a hashed state_dict is in PyTorch's layout and computes its values when read", () => {
  const specs: ParamSpec[] = [{ name: "conv.weight", shape: [3, 3, 4, 8], layout: "conv2d", init: { kind: "zeros" } }];
  const dict = hashedStateDict(specs, 3);
  const rec = dict.get("conv.weight")!;
  expect(rec.shape).toEqual([8, 4, 3, 3]);
  expect(rec.data).not.toBe(rec.data);
  expect(rec.data).toEqual(hashedParameter("conv.weight", [8, 4, 3, 3], 3));
});
