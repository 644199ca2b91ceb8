/**
 * The training objectives as ONNX nodes, op for op as lib/diffusion's trainingLosses (guided-diffusion's
 * training_losses) and the classifier's cross-entropy: q_sample, p_mean_variance's mean and variance
 * for every mean and variance type, the bound term L_t (the normal KL for t > 0, the discretized
 * Gaussian decoder NLL at t = 0), the eps-MSE, and the hybrid L_simple + L_vlb of Improved DDPM
 * eq. 16 with the mean frozen in the bound. Images are NCHW here; every mean is over C, H, W, so the
 * layout does not change the numbers.
 */
import type { GaussianDiffusion, TableName } from "../diffusion/index";
import { GraphBuilder } from "./graph";

/** The diffusion's tables inside a graph, gathered at the batch's timesteps `t` (int64 `[N]`). */
export interface DiffusionGraph {
  g: GraphBuilder;
  d: GaussianDiffusion;
  /** table[t] as `[N, 1, 1, 1]` float32 (guided-diffusion's _extract_into_tensor) */
  coef(name: TableName): string;
  t: string;
}

/** Tables become float32 initializers on first use, as lib/diffusion reads them (Float32Array.from). */
export function diffusionGraph(g: GraphBuilder, d: GaussianDiffusion, t: string): DiffusionGraph {
  const gathered = new Map<TableName, string>();
  return {
    g,
    d,
    t,
    coef(name) {
      let v = gathered.get(name);
      if (!v) {
        const table = g.initializer(`diffusion.${name}`, Float32Array.from(d[name]), [d.numTimesteps]);
        v = g.node("Reshape", [g.node("Gather", [table, t], { axis: 0 }), g.ints([-1, 1, 1, 1])], {}, name);
        gathered.set(name, v);
      }
      return v;
    },
  };
}

/** x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps (DDPM eq. 4). */
export function emitQSample(dg: DiffusionGraph, x0: string, noise: string): string {
  const { g } = dg;
  return g.node("Add", [g.node("Mul", [dg.coef("sqrtAlphasCumprod"), x0]), g.node("Mul", [dg.coef("sqrtOneMinusAlphasCumprod"), noise])], {}, "x_t");
}

/** Mean over every axis but the batch axis: `[N, C, H, W]` -> `[N]`. */
function meanFlat(g: GraphBuilder, x: string): string {
  return g.node("ReduceMean", [x], { axes: [1, 2, 3], keepdims: 0 }, "mean_flat");
}

const mul = (g: GraphBuilder, a: string, b: string) => g.node("Mul", [a, b]);
const add = (g: GraphBuilder, a: string, b: string) => g.node("Add", [a, b]);
const sub = (g: GraphBuilder, a: string, b: string) => g.node("Sub", [a, b]);
const num = (g: GraphBuilder, v: number) => g.floats([v]);

/** KL(N(m1, e^lv1) || N(m2, e^lv2)) elementwise: 0.5 (-1 + lv2 - lv1 + e^(lv1 - lv2) + (m1 - m2)^2 e^-lv2). */
function normalKl(g: GraphBuilder, m1: string, lv1: string, m2: string, lv2: string): string {
  const diff = sub(g, m1, m2);
  const sum = add(
    g,
    add(g, sub(g, add(g, num(g, -1), lv2), lv1), g.node("Exp", [sub(g, lv1, lv2)])),
    mul(g, mul(g, diff, diff), g.node("Exp", [g.node("Neg", [lv2])])),
  );
  return mul(g, sum, num(g, 0.5));
}

/** 0.5 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
function approxStandardNormalCdf(g: GraphBuilder, x: string): string {
  const cubic = add(g, x, mul(g, mul(g, mul(g, x, x), x), num(g, 0.044715)));
  return mul(g, add(g, g.node("Tanh", [mul(g, cubic, num(g, Math.sqrt(2 / Math.PI)))]), num(g, 1)), num(g, 0.5));
}

/** log P(x) of 8-bit images under N(means, e^(2 logScales)), the bins at -1 and 1 extended to infinity (Ho et al. eq. 13). */
function discretizedGaussianLogLikelihood(g: GraphBuilder, x: string, means: string, logScales: string): string {
  const centred = sub(g, x, means);
  const invStdv = g.node("Exp", [g.node("Neg", [logScales])]);
  const cdfPlus = approxStandardNormalCdf(g, mul(g, invStdv, add(g, centred, num(g, 1 / 255))));
  const cdfMin = approxStandardNormalCdf(g, mul(g, invStdv, sub(g, centred, num(g, 1 / 255))));
  const safeLog = (v: string) => g.node("Log", [g.node("Max", [v, num(g, 1e-12)])]);
  const logCdfPlus = safeLog(cdfPlus);
  const logOneMinusCdfMin = safeLog(sub(g, num(g, 1), cdfMin));
  const logCdfDelta = safeLog(sub(g, cdfPlus, cdfMin));
  const upper = g.node("Where", [g.node("Greater", [x, num(g, 0.999)]), logOneMinusCdfMin, logCdfDelta]);
  return g.node("Where", [g.node("Less", [x, num(g, -0.999)]), logCdfPlus, upper], {}, "decoder_log_likelihood");
}

/** p(x_{t-1} | x_t)'s mean and log-variance from the model's mean output and v (p_mean_variance, no clipping). */
function pMeanVariance(dg: DiffusionGraph, out: string, v: string | null, xt: string): { mean: string; logVariance: string } {
  const { g, d } = dg;
  let logVariance: string;
  switch (d.modelVarType) {
    case "learned":
      logVariance = v as string;
      break;
    case "learned_range": {
      // Improved DDPM eq. 15: log sigma^2 = v' log beta_t + (1 - v') log beta~_t, v' = (v + 1) / 2
      const frac = g.node("Div", [add(g, v as string, num(g, 1)), num(g, 2)]);
      logVariance = add(g, mul(g, frac, dg.coef("logBetas")), mul(g, sub(g, num(g, 1), frac), dg.coef("posteriorLogVarianceClipped")));
      break;
    }
    // the fixed variances stay `[N, 1, 1, 1]`: broadcasting gives the same numbers as lib/diffusion's broadcastTo
    case "fixed_large":
      logVariance = dg.coef("fixedLargeLogVariance");
      break;
    case "fixed_small":
      logVariance = dg.coef("posteriorLogVarianceClipped");
      break;
  }
  if (d.modelMeanType === "previous_x") return { mean: out, logVariance };
  // x_0 = sqrt(1/alphaBar) x_t - sqrt(1/alphaBar - 1) eps, then the posterior mean coef1 x_0 + coef2 x_t (DDPM eq. 7)
  const predXstart =
    d.modelMeanType === "start_x" ? out : sub(g, mul(g, dg.coef("sqrtRecipAlphasCumprod"), xt), mul(g, dg.coef("sqrtRecipm1AlphasCumprod"), out));
  return { mean: add(g, mul(g, dg.coef("posteriorMeanCoef1"), predXstart), mul(g, dg.coef("posteriorMeanCoef2"), xt)), logVariance };
}

/** L_t in bits per dimension, `[N]`: the decoder NLL where t = 0, KL(q(x_{t-1} | x_t, x_0) || p) elsewhere. */
function vbTermsBpd(dg: DiffusionGraph, p: { mean: string; logVariance: string }, x0: string, xt: string): string {
  const { g } = dg;
  const ln2 = num(g, Math.log(2));
  const posteriorMean = add(g, mul(g, dg.coef("posteriorMeanCoef1"), x0), mul(g, dg.coef("posteriorMeanCoef2"), xt));
  const kl = g.node("Div", [meanFlat(g, normalKl(g, posteriorMean, dg.coef("posteriorLogVarianceClipped"), p.mean, p.logVariance)), ln2], {}, "kl_bpd");
  const nll = g.node("Neg", [discretizedGaussianLogLikelihood(g, x0, p.mean, mul(g, p.logVariance, num(g, 0.5)))]);
  const decoderNll = g.node("Div", [meanFlat(g, nll), ln2], {}, "decoder_nll_bpd");
  return g.node("Where", [g.node("Equal", [dg.t, g.ints([0])]), decoderNll, kl], {}, "vb_terms");
}

/** Per-example losses `[N]`, and `frozen`: values the gradient must not pass (the mean in the hybrid bound). */
export interface EmittedLosses {
  loss: string;
  mse?: string;
  vb?: string;
  frozen: string[];
}

/**
 * trainingLosses for the model output `out` (`[N, C or 2C, H, W]`) at x_t made from x_0 and `noise`:
 * the bound alone for the KL loss types; else the MSE to eps (or x_0, or the posterior mean), plus
 * for learned variances the bound with the mean's gradient stopped (divided by 1000/T when rescaled).
 */
export function emitTrainingLosses(dg: DiffusionGraph, out: string, x0: string, xt: string, noise: string): EmittedLosses {
  const { g, d } = dg;
  const learned = d.modelVarType === "learned" || d.modelVarType === "learned_range";
  const [mean, v] = learned ? g.nodeN("Split", [out], 2, { axis: 1 }, "model_output") : [out, null];
  if (d.lossType === "kl" || d.lossType === "rescaled_kl") {
    const vb = vbTermsBpd(dg, pMeanVariance(dg, mean, v, xt), x0, xt);
    // RESCALED_KL: T L_t estimates the whole bound from one uniformly drawn t
    return { loss: d.lossType === "rescaled_kl" ? mul(g, vb, num(g, d.numTimesteps)) : vb, frozen: [] };
  }
  let vb: string | undefined;
  const frozen: string[] = [];
  if (learned) {
    // the bound trains only the variance: the mean enters it as a constant
    const frozenMean = g.node("Identity", [mean], {}, "frozen_mean");
    frozen.push(frozenMean);
    vb = vbTermsBpd(dg, pMeanVariance(dg, frozenMean, v, xt), x0, xt);
    // RESCALED_MSE: divide by 1000 as in the original implementation, so vb does not swamp the MSE
    if (d.lossType === "rescaled_mse") vb = mul(g, vb, num(g, d.numTimesteps / 1000));
  }
  const target =
    d.modelMeanType === "previous_x"
      ? add(g, mul(g, dg.coef("posteriorMeanCoef1"), x0), mul(g, dg.coef("posteriorMeanCoef2"), xt))
      : d.modelMeanType === "start_x"
        ? x0
        : noise;
  const diff = sub(g, target, mean);
  const mse = meanFlat(g, mul(g, diff, diff));
  return vb ? { loss: add(g, mse, vb), mse, vb, frozen } : { loss: mse, mse, frozen };
}

/** Mean cross-entropy of softmax(logits) against labels y (int64 `[N]`): mean_i -log softmax(logits_i)[y_i]. */
export function emitCrossEntropy(g: GraphBuilder, logits: string, y: string, classes: number): string {
  const onehot = g.node("OneHot", [y, g.ints([classes]), g.floats([0, 1], [2])], { axis: -1 }, "onehot_y");
  const logp = g.node("LogSoftmax", [logits], { axis: -1 });
  const perExample = g.node("Neg", [g.node("ReduceSum", [mul(g, logp, onehot), g.ints([1])], { keepdims: 0 })], {}, "cross_entropy");
  return g.node("ReduceMean", [perExample], { axes: [0], keepdims: 0 }, "loss");
}
