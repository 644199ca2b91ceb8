/**
 * The engine on every released checkpoint's architecture (full depth, reduced width), emitted
 * straight from a state_dict as a released checkpoint would be, never through a tfjs model: the
 * outputs, logits and guidance gradients of guided-diffusion itself (make_golden.py's released_cases).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { classifierFromStateDict, onnxClassifierGradient, onnxModel, unetFromStateDict } from "../../lib/engine";
import { hashedStateDict } from "../../lib/io";
import {
  ADM_CHECKPOINTS,
  classifierConfigFromFlags,
  encoderParamSpecs,
  reducedClassifierConfig,
  reducedUNetConfig,
  resolveEncoderConfig,
  resolveUNetConfig,
  unetConfigFromFlags,
  unetParamSpecs,
} from "../../lib/models";
import { golden, hashedInput, ints, maxAbsDiff, nhwc, RELEASED_FAMILIES } from "../models/golden-helpers";

beforeAll(async () => {
  await initBackend("wasm");
});

describe.each(RELEASED_FAMILIES)("ONNX engine: $checkpoint at reduced width", (f) => {
  test("equals guided-diffusion (1e-4)", async () => {
    const g = golden(f.name);
    const flags = ADM_CHECKPOINTS[f.checkpoint].flags;
    const t = ints(g.get("t")!);
    const out = g.get("out")!;
    if (f.kind === "diffusion") {
      const config = reducedUNetConfig(unetConfigFromFlags(flags), { imageSize: f.imageSize });
      const dict = hashedStateDict(unetParamSpecs(resolveUNetConfig(config)), f.seed);
      const engine = await onnxModel(unetFromStateDict(config, dict, f.name), { threads: 2 });
      const x = hashedInput(f.seed, config.imageSize);
      const y = g.has("y") ? ints(g.get("y")!) : null;
      const got = await engine.forward(x, t, y);
      await engine.dispose();
      const expected = nhwc(out);
      const d = await maxAbsDiff(got, expected);
      console.log(`${f.checkpoint}: max |onnx - guided-diffusion| = ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
      tf.dispose([x, y ?? [], got, expected]);
    } else {
      const config = reducedClassifierConfig(classifierConfigFromFlags(flags), { imageSize: f.imageSize });
      const dict = hashedStateDict(encoderParamSpecs(resolveEncoderConfig(config)), f.seed);
      const engine = await onnxClassifierGradient(classifierFromStateDict(config, dict, f.name), { threads: 2 });
      const x = hashedInput(f.seed, config.imageSize);
      const y = ints(g.get("y")!);
      const { logits, grad } = await engine.forward(x, t, y);
      await engine.dispose();
      const expected = tf.tensor2d(out.data as Float32Array, out.shape as [number, number]);
      const expectedGrad = nhwc(g.get("grad")!);
      const [dl, dg] = [await maxAbsDiff(logits, expected), await maxAbsDiff(grad, expectedGrad)];
      console.log(`${f.checkpoint}: max |onnx - guided-diffusion| logits ${dl.toExponential(2)}, guidance gradient ${dg.toExponential(2)}`);
      expect(dl).toBeLessThan(1e-4);
      expect(dg).toBeLessThan(1e-4);
      tf.dispose([x, y, logits, grad, expected, expectedGrad]);
    }
    t.dispose();
  });
});
