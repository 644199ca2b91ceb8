/**
 * Reverse-mode rules for the operators that carry the networks' parameters (Conv, Gemm, MatMul,
 * Gather) and for the resampling and normalisation ops: the input gradient (classifier guidance)
 * and the parameter gradients (training). Weight gradients come out in the layout the weight has in
 * the graph (Conv: OIHW, Gemm and MatMul: `[in, out]`, Gather: its table).
 */
import { GraphBuilder } from "./graph";
import { NodeProto } from "./onnx-proto";
import { GradContext, only, Rule, shapeOf, swapLast, unbroadcast } from "./grad-rules";
import { attr } from "./shapes";

/** `v` reshaped to rows `[-1, cols]`. */
function rows(g: GraphBuilder, v: string, cols: number): string {
  return g.node("Reshape", [v, g.ints([-1, cols])]);
}

/**
 * dW of a stride-1 "same" convolution by shifted rows: with the padded input flattened per channel
 * (`X [Ci, N P]`, P = (H + 2p)(W + 2p) positions an image) and gy placed at the top left of the same
 * padded grid (`G [N P, Co]`, zero elsewhere), tap (ky, kx) reads X at the offset ky (W + 2p) + kx
 * from each output position, so dW[ky, kx] = X[:, off : off + L] G[0 : L] (L = N P minus the
 * largest offset): one contiguous slice and one Gemm per tap, no im2col copy of the windows.
 * Positions past an image's row or the batch meet zeros of G, so nothing wraps into the sum.
 */
function sameConvWeightGradient(ctx: GradContext, node: NodeProto, gy: string, p: number): string {
  const { g } = ctx;
  const [x, w] = node.inputs;
  const [co, ci, kh, kw] = shapeOf(ctx, w) as number[];
  const [n, , h, wd] = shapeOf(ctx, x) as number[];
  const row = wd + 2 * p;
  const positions = n * (h + 2 * p) * row;
  const padded = g.node("Pad", [g.node("Transpose", [x], { perm: [1, 0, 2, 3] }, "conv_grad_x_cnhw"), g.ints([0, 0, p, p, 0, 0, p, p])]);
  const flat = g.node("Reshape", [padded, g.ints([ci, positions])], {}, "conv_grad_x_rows");
  const span = positions - ((kh - 1) * row + (kw - 1));
  const gyGrid = g.node("Pad", [g.node("Transpose", [gy], { perm: [0, 2, 3, 1] }), g.ints([0, 0, 0, 0, 0, 2 * p, 2 * p, 0])]);
  const gyRows = g.node("Slice", [rows(g, gyGrid, co), g.ints([0]), g.ints([span]), g.ints([0])], {}, "conv_grad_gy_rows");
  const taps: string[] = [];
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const off = ky * row + kx;
      const shifted = g.node("Slice", [flat, g.ints([off]), g.ints([off + span]), g.ints([1])], {}, "conv_grad_x_shifted");
      taps.push(g.node("Unsqueeze", [g.node("Gemm", [shifted, gyRows], {}, "conv_grad_tap"), g.ints([0])]));
    }
  }
  const hwio = g.node("Reshape", [g.node("Concat", taps, { axis: 0 }), g.ints([kh, kw, ci, co])]);
  return g.node("Transpose", [hwio], { perm: [3, 2, 0, 1] }, "conv_grad_w");
}

/**
 * dW of a convolution, OIHW (strided, 1x1 or unpadded; ./sameConvWeightGradient for the rest): dW[o, i, ky, kx] = sum_{n, y, x} gy[n, o, y, x] xpad[n, i, s y + ky, s x + kx].
 * The strided windows of the padded input, one per kernel tap, stacked (im2col, transposed:
 * `[kh kw Ci, N Ho Wo]`, from x as CNHW so that each window is one block), times gy as rows
 * (`[N Ho Wo, Co]`) in one Gemm whose inner dimension sums over batch and positions: `[kh kw Ci, Co]`,
 * which is HWIO.
 */
function convWeightGradient(ctx: GradContext, node: NodeProto, gy: string): string {
  const { g } = ctx;
  const k = attr<number[]>(node, "kernel_shape");
  const p = attr<number[]>(node, "pads", [0, 0, 0, 0]);
  const same = k[0] === k[1] && k[0] > 1 && p.every((v) => v === (k[0] - 1) / 2) && attr<number[]>(node, "strides", [1, 1]).every((v) => v === 1);
  if (same && attr(node, "group", 1) === 1) return sameConvWeightGradient(ctx, node, gy, p[0]);
  const [x, w] = node.inputs;
  const [co, ci, kh, kw] = shapeOf(ctx, w) as number[];
  const [, , ho, wo] = shapeOf(ctx, node.outputs[0]) as number[];
  const pads = attr<number[]>(node, "pads", [0, 0, 0, 0]);
  const [sh, sw] = attr<number[]>(node, "strides", [1, 1]);
  if (attr(node, "group", 1) !== 1) throw new Error(`gradient of Conv ${node.name}: grouped convolutions are not supported`);
  let xc = g.node("Transpose", [x], { perm: [1, 0, 2, 3] }, "conv_grad_x_cnhw");
  if (pads.some((p) => p)) xc = g.node("Pad", [xc, g.ints([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]])]);
  const gyRows = rows(g, g.node("Transpose", [gy], { perm: [0, 2, 3, 1] }), co);
  const whole = kh === 1 && kw === 1 && sh === 1 && sw === 1;
  const windows: string[] = [];
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      windows.push(
        whole ? xc : g.node("Slice", [xc, g.ints([ky, kx]), g.ints([ky + sh * (ho - 1) + 1, kx + sw * (wo - 1) + 1]), g.ints([2, 3]), g.ints([sh, sw])]),
      );
    }
  }
  const cols = windows.length === 1 ? windows[0] : g.node("Concat", windows, { axis: 0 }, "im2col");
  const hwio = g.node("Reshape", [
    g.node("Gemm", [g.node("Reshape", [cols, g.ints([kh * kw * ci, -1])]), gyRows], {}, "conv_grad_hwio"),
    g.ints([kh, kw, ci, co]),
  ]);
  return g.node("Transpose", [hwio], { perm: [3, 2, 0, 1] }, "conv_grad_w");
}

/**
 * dx of a convolution: the adjoint, the transposed convolution with the same weights, strides and
 * pads; output_padding recovers the rows and columns a stride dropped.
 */
function convInputGradient(ctx: GradContext, node: NodeProto, gy: string): string {
  const x = shapeOf(ctx, node.inputs[0]);
  const y = shapeOf(ctx, node.outputs[0]);
  const k = attr<number[]>(node, "kernel_shape");
  const pads = attr<number[]>(node, "pads", [0, 0, 0, 0]);
  const strides = attr<number[]>(node, "strides", [1, 1]);
  if (strides.every((s) => s === 1) && pads.every((p, i) => p === (k[i % 2] - 1) / 2)) {
    // stride 1, "same" padding: the adjoint is the convolution of gy with the kernel flipped in
    // space and its channels swapped, which ONNX Runtime's Conv runs faster than ConvTranspose
    const { g } = ctx;
    let w = g.node("Transpose", [node.inputs[1]], { perm: [1, 0, 2, 3] }, "conv_adjoint_w");
    if (k.some((v) => v > 1))
      w = g.node("Slice", [w, g.ints([k[0] - 1, k[1] - 1]), g.ints([-k[0] - 1, -k[1] - 1]), g.ints([2, 3]), g.ints([-1, -1])], {}, "conv_adjoint_w_flipped");
    return g.node("Conv", [gy, w], { kernel_shape: k, pads, strides }, "conv_grad_x");
  }
  const extra = [0, 1].map((i) => (x[2 + i] as number) + pads[i] + pads[i + 2] - k[i] - ((y[2 + i] as number) - 1) * strides[i]);
  return ctx.g.node("ConvTranspose", [gy, node.inputs[1]], { kernel_shape: k, pads, strides, output_padding: extra }, "conv_grad_x");
}

/** d/da and d/db of a @ b over the last two axes: the same batch axes, or b a shared `[K, P]` weight. */
function matmulGrads(ctx: GradContext, node: NodeProto, gy: string, need: boolean[]): (string | null)[] {
  const { g } = ctx;
  const [a, b] = node.inputs;
  const sa = shapeOf(ctx, a);
  const sb = shapeOf(ctx, b);
  const ga = need[0] ? unbroadcast(ctx, g.node("MatMul", [gy, swapLast(g, b, sb.length)]), a, node.outputs[0]) : null;
  let gb: string | null = null;
  if (need[1] && sb.length === sa.length) {
    if (sa.slice(0, -2).join() !== sb.slice(0, -2).join())
      throw new Error(`gradient of MatMul ${node.name}: broadcast batch axes [${sa}] @ [${sb}] are not supported`);
    gb = g.node("MatMul", [swapLast(g, a, sa.length), gy]);
  } else if (need[1] && sb.length === 2) {
    // a shared weight: sum over every batch axis, as one Gemm over the rows
    const [k, p] = sb as number[];
    gb = g.node("Gemm", [rows(g, a, k), rows(g, gy, p)], { transA: 1 }, "matmul_grad_w");
  } else if (need[1]) {
    throw new Error(`gradient of MatMul ${node.name}: operand shapes [${sa}] @ [${sb}] are not supported`);
  }
  return [ga, gb];
}

export const LAYER_RULES: Record<string, Rule> = {
  MatMul: (ctx, node, gy, need) => matmulGrads(ctx, node, only(gy, node), need),
  // y = x W + b (x `[N, in]`, W `[in, out]`): dx = dy W^T, dW = x^T dy, db = sum_n dy
  Gemm: (ctx, node, gy, need) => {
    if (attr(node, "transA", 0) || attr(node, "transB", 0)) throw new Error(`gradient of Gemm ${node.name}: transposed operands are not supported`);
    const { g } = ctx;
    const [x, w] = node.inputs;
    const d = only(gy, node);
    return [
      need[0] ? g.node("Gemm", [d, w], { transB: 1 }) : null,
      need[1] ? g.node("Gemm", [x, d], { transA: 1 }, "gemm_grad_w") : null,
      need[2] ? g.node("ReduceSum", [d, g.ints([0])], { keepdims: 0 }, "gemm_grad_b") : null,
    ];
  },
  // db sums gy over batch and space
  Conv: (ctx, node, gy, need) => {
    const d = only(gy, node);
    return [
      need[0] ? convInputGradient(ctx, node, d) : null,
      need[1] ? convWeightGradient(ctx, node, d) : null,
      need[2] ? ctx.g.node("ReduceSum", [d, ctx.g.ints([0, 2, 3])], { keepdims: 0 }, "conv_grad_b") : null,
    ];
  },
  // rows of a table (nn.Embedding): each row receives the sum of the gradients of the items that
  // read it, onehot(indices)^T dy
  Gather: (ctx, node, gy, need) => {
    if (need[1]) throw new Error(`gradient of Gather ${node.name}: indices have no gradient`);
    if (attr(node, "axis", 0) !== 0) throw new Error(`gradient of Gather ${node.name}: only axis 0 is supported`);
    const { g } = ctx;
    const [table, indices] = node.inputs;
    const [count, ...row] = shapeOf(ctx, table) as number[];
    const width = row.reduce((a, b) => a * b, 1);
    const onehot = g.node("OneHot", [indices, g.ints([count]), g.floats([0, 1], [2])], { axis: -1 }, "gather_onehot");
    const sums = g.node("Gemm", [rows(g, onehot, count), rows(g, only(gy, node), width)], { transA: 1 }, "gather_grad");
    return [row.length === 1 ? sums : g.node("Reshape", [sums, g.ints([count, ...row])]), null];
  },
  // 2x2 average pool, stride 2: each input pixel receives a quarter of its window's gradient;
  // rows and columns the floor dropped receive none
  AveragePool: (ctx, node, gy) => {
    const { g } = ctx;
    const k = attr<number[]>(node, "kernel_shape");
    const strides = attr<number[]>(node, "strides", [1, 1]);
    if (k.join() !== "2,2" || strides.join() !== "2,2" || attr<number[]>(node, "pads", [0, 0, 0, 0]).some((p) => p)) {
      throw new Error(`gradient of AveragePool ${node.name}: only the 2x2, stride-2 pool is supported`);
    }
    const up = g.node("Resize", [only(gy, node), "", g.floats([1, 1, 2, 2], [4])], {
      mode: "nearest",
      coordinate_transformation_mode: "asymmetric",
      nearest_mode: "floor",
    });
    let gx = g.node("Mul", [up, g.floats([0.25])]);
    const x = shapeOf(ctx, node.inputs[0]);
    const odd = [(x[2] as number) % 2, (x[3] as number) % 2];
    if (odd[0] || odd[1]) gx = g.node("Pad", [gx, g.ints([0, 0, 0, 0, 0, 0, odd[0], odd[1]])]);
    return [gx];
  },
  // nearest x2 upsampling: each input pixel receives the sum of its 2x2 block of the gradient
  Resize: (ctx, node, gy) => {
    const { g } = ctx;
    const scales = g.initializers.find((i) => i.name === node.inputs[2])?.data;
    if (attr(node, "mode", "nearest") !== "nearest" || !(scales instanceof Float32Array) || scales.join() !== "1,1,2,2") {
      throw new Error(`gradient of Resize ${node.name}: only nearest x2 upsampling is supported`);
    }
    const [, c, h, w] = shapeOf(ctx, node.inputs[0]) as number[];
    const blocks = g.node("Reshape", [only(gy, node), g.ints([0, c, h, 2, w, 2])]);
    return [g.node("ReduceSum", [blocks, g.ints([3, 5])], { keepdims: 0 }, "resize_grad"), null, null];
  },
  // x_hat = (x - mean) / sqrt(var + eps) over axes 2..; y = scale * x_hat + bias:
  // dx = rstd * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)), dx_hat = scale * dy
  InstanceNormalization: (ctx, node, gy, need) => {
    if (need[1] || need[2])
      throw new Error(`gradient of InstanceNormalization ${node.name}: its scale and bias are constants here (GroupNorm's affine is a separate Mul and Add)`);
    const { g } = ctx;
    const [x, scale, bias] = node.inputs;
    const rank = shapeOf(ctx, x).length;
    const axes = { axes: Array.from({ length: rank - 2 }, (_, i) => i + 2), keepdims: 1 };
    const mean = (v: string) => g.node("ReduceMean", [v], axes);
    const constant = (v: string, value: number) => g.initializers.find((i) => i.name === v)?.data.every((e) => e === value) === true;
    // GroupNorm's normalisation has unit scale and zero bias (its affine is a separate Mul and Add):
    // then y is x_hat itself and dx_hat is dy
    const plain = constant(scale, 1) && constant(bias, 0);
    const centred = g.node("Sub", [x, mean(x)]);
    const variance = mean(g.node("Mul", [centred, centred]));
    const rstd = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [variance, g.floats([attr<number>(node, "epsilon", 1e-5)])])])]);
    const xHat = plain ? node.outputs[0] : g.node("Mul", [centred, rstd]);
    const perChannel = () => g.node("Unsqueeze", [scale, g.ints(Array.from({ length: rank - 2 }, (_, i) => i + 1))]);
    const dxHat = plain ? only(gy, node) : g.node("Mul", [only(gy, node), perChannel()]);
    const inner = g.node("Sub", [g.node("Sub", [dxHat, mean(dxHat)]), g.node("Mul", [xHat, mean(g.node("Mul", [dxHat, xHat]))])]);
    return [g.node("Mul", [rstd, inner]), null, null];
  },
};
