/**
 * Every released checkpoint's architecture, full depth at reduced width, against guided-diffusion
 * itself (make_golden.py's released_cases, hashed weights): same state_dict names and shapes, and
 * the same outputs from tfjs. The 64x64 classifier has depth 4; the 512x512 networks start at
 * channel_mult 0.5.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { hashedStateDict, loadStateDict } from "../../lib/io";
import {
  ADM_CHECKPOINTS, classifierConfigFromFlags, EncoderUNetModel, reducedClassifierConfig, reducedUNetConfig, unetConfigFromFlags, UNetModel,
} from "../../lib/models";
import { torchShape } from "../../lib/nn";
import { classifierCondFn } from "../../lib/sampling";
import { golden, goldenNames, hashedInput, ints, maxAbsDiff, nhwc, RELEASED_FAMILIES, ReleasedFamily } from "./golden-helpers";

beforeAll(async () => {
  await initBackend("wasm");
});

/** The reduced network of a family, from the catalogue's README flags. */
export function familyModel(f: ReleasedFamily): UNetModel | EncoderUNetModel {
  const flags = ADM_CHECKPOINTS[f.checkpoint].flags;
  return f.kind === "diffusion"
    ? new UNetModel(reducedUNetConfig(unetConfigFromFlags(flags), { imageSize: f.imageSize }))
    : new EncoderUNetModel(reducedClassifierConfig(classifierConfigFromFlags(flags), { imageSize: f.imageSize }));
}

describe.each(RELEASED_FAMILIES)("$checkpoint at reduced width", (f) => {
  test("has guided-diffusion's state_dict names and shapes, and its outputs (1e-4)", async () => {
    const g = golden(f.name);
    const model = familyModel(f);
    const ours = model.specs.map((s): [string, number[]] => [s.name, torchShape(s)]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(ours).toEqual(goldenNames(g));
    loadStateDict(model, hashedStateDict(model.specs, f.seed), { source: f.name });
    const x = hashedInput(f.seed, model.config.imageSize);
    const t = ints(g.get("t")!);
    const out = g.get("out")!;
    if (model instanceof UNetModel) {
      const y = g.has("y") ? ints(g.get("y")!) : undefined;
      const expected = nhwc(out);
      const got = model.forward(x, t, y);
      const d = await maxAbsDiff(got, expected);
      console.log(`${f.checkpoint}: max |tfjs - guided-diffusion| = ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
      tf.dispose([got, expected, y]);
    } else {
      const y = ints(g.get("y")!);
      const logits = model.forward(x, t);
      const expected = tf.tensor2d(out.data as Float32Array, out.shape as [number, number]);
      const grad = await classifierCondFn(model, 1)(x, t, { y });
      const expectedGrad = nhwc(g.get("grad")!);
      const [dl, dg] = [await maxAbsDiff(logits, expected), await maxAbsDiff(grad, expectedGrad)];
      console.log(`${f.checkpoint}: max |tfjs - guided-diffusion| logits ${dl.toExponential(2)}, guidance gradient ${dg.toExponential(2)}`);
      expect(dl).toBeLessThan(1e-4);
      expect(dg).toBeLessThan(1e-4);
      tf.dispose([logits, expected, grad, expectedGrad, y]);
    }
    tf.dispose([x, t]);
    model.dispose();
  });
});
