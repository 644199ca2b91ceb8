import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { classifierFromStateDict, unetFromStateDict } from "../../lib/engine/emit-model";
import { onnxClassifierGradient, onnxModel } from "../../lib/engine/onnx-model";
import { paramsWeights } from "../../lib/engine/weights";
import { loadStateDict, loadTorchCheckpoint } from "../../lib/io";
import { EncoderUNetModel, UNetModel } from "../../lib/models";
import { GOLDEN_CLASSIFIERS, GOLDEN_UNETS, fixture, golden, ints, maxAbsDiff, nhwc } from "../models/golden-helpers";

beforeAll(async () => {
  await initBackend("wasm");
});

test("a state_dict read from its file gives every weight exactly as loadStateDict puts it in a tfjs model", () => {
  for (const [family, file] of [
    ["unet_adagn_updown_new", "unet_adagn_updown_new.f16.pt"],
    ["unet_legacy_heads_frac", "unet_legacy_heads_frac.f16.pt"],
  ]) {
    const dict = loadTorchCheckpoint(fixture(file));
    const model = new UNetModel(GOLDEN_UNETS[family]);
    loadStateDict(model, dict);
    const fromFile = unetFromStateDict(GOLDEN_UNETS[family], dict, file).weights;
    const fromModel = paramsWeights(model.params);
    for (const spec of model.specs) {
      const a = fromFile(spec.name);
      expect(a.shape).toEqual(spec.shape);
      expect(a.data).toEqual(fromModel(spec.name).data);
    }
    model.dispose();
  }
  const dict = loadTorchCheckpoint(fixture("classifier_attention.f16.pt"));
  const clf = new EncoderUNetModel(GOLDEN_CLASSIFIERS.classifier_attention);
  loadStateDict(clf, dict);
  const w = classifierFromStateDict(GOLDEN_CLASSIFIERS.classifier_attention, dict).weights;
  expect(w("out.2.positional_embedding").data).toEqual(paramsWeights(clf.params)("out.2.positional_embedding").data);
  clf.dispose();
});

test("without any tfjs model: the UNet and the classifier gradient from checkpoint files equal guided-diffusion", async () => {
  const g = golden("unet_adagn_updown_new");
  const x = nhwc(g.get("x")!);
  const t = ints(g.get("t")!);
  const y = ints(g.get("y")!);
  const unet = await onnxModel(unetFromStateDict(GOLDEN_UNETS.unet_adagn_updown_new, loadTorchCheckpoint(fixture("unet_adagn_updown_new.pt"))), { threads: 1 });
  const out = await unet.forward(x, t, y);
  await unet.dispose();
  const expected = nhwc(g.get("out")!);
  expect(await maxAbsDiff(out, expected)).toBeLessThan(1e-4);

  const c = golden("classifier_attention");
  const cx = nhwc(c.get("x")!);
  const ct = ints(c.get("t")!);
  const cy = ints(c.get("y")!);
  const source = classifierFromStateDict(GOLDEN_CLASSIFIERS.classifier_attention, loadTorchCheckpoint(fixture("classifier_attention.f16.pt")));
  const guide = await onnxClassifierGradient(source, { threads: 1 });
  const { logits, grad } = await guide.forward(cx, ct, cy);
  await guide.dispose();
  const expectedGrad = nhwc(c.get("grad")!);
  expect(await maxAbsDiff(logits, tf.tensor(c.get("out")!.data as Float32Array, c.get("out")!.shape))).toBeLessThan(1e-4);
  expect(await maxAbsDiff(grad, expectedGrad)).toBeLessThan(1e-4);
  tf.dispose([x, t, y, out, expected, cx, ct, cy, logits, grad, expectedGrad]);
});

test("a checkpoint that does not fit the flags fails before emitting, naming keys and the likely flag", () => {
  const dict = loadTorchCheckpoint(fixture("unet_adagn_updown_new.pt"));
  const wrong = { ...GOLDEN_UNETS.unet_adagn_updown_new, numClasses: null };
  expect(() => unetFromStateDict(wrong, dict, "unet_adagn_updown_new.pt")).toThrow(
    /unet_adagn_updown_new.pt does not fit[\s\S]*unexpected in the checkpoint \(1\): label_emb.weight[\s\S]*likely: .*set class_cond True/,
  );
});
