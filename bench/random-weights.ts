/**
 * Random weights for networks too large for tfjs (ImageNet 128 to 512): a WeightSource that draws
 * each parameter when the emitter asks for it, in our layout, so a 554M-parameter UNet becomes an
 * ONNX graph without a state_dict or a tfjs model in memory. Speed does not depend on the values;
 * every layer (zero-initialised ones too) gets nonzero weights so that no branch is trivially zero.
 */
import { EncoderUNetConfig, encoderParamSpecs, resolveEncoderConfig, resolveUNetConfig, UNetConfig, unetParamSpecs } from "../lib/models/index";
import type { ParamSpec } from "../lib/nn/index";
import type { ClassifierSource, UNetSource } from "../lib/engine/emit-model";
import type { WeightSource } from "../lib/engine/weights";

/** xorshift32, one stream per parameter: uniform in [-1, 1). */
function uniform(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

/** PyTorch-like scales: weights U(-1/sqrt(fan_in), 1/sqrt(fan_in)), GroupNorm scales near 1, small biases. */
export function randomWeights(specs: readonly ParamSpec[], seed = 0): WeightSource {
  const index = new Map(specs.map((s, i) => [s.name, { spec: s, i }]));
  return (name) => {
    const found = index.get(name);
    if (!found) throw new Error(`randomWeights: no parameter ${name}`);
    const { spec, i } = found;
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = uniform(n, seed * 100003 + i + 1);
    const fanIn = spec.shape.length > 1 ? spec.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
    const [scale, offset] = spec.init.kind === "ones" ? [0.1, 1] : spec.shape.length === 1 ? [0.05, 0] : [1 / Math.sqrt(fanIn), 0];
    for (let k = 0; k < n; k++) data[k] = data[k] * scale + offset;
    return { data, shape: spec.shape.slice() };
  };
}

/** A UNet of this config with random weights, for the engine. */
export function randomUNet(config: UNetConfig, seed = 0): UNetSource {
  return { kind: "unet", config, weights: randomWeights(unetParamSpecs(resolveUNetConfig(config)), seed) };
}

/** A noisy classifier of this config with random weights, for the engine. */
export function randomClassifier(config: EncoderUNetConfig, seed = 0): ClassifierSource {
  return { kind: "classifier", config, weights: randomWeights(encoderParamSpecs(resolveEncoderConfig(config)), seed) };
}
