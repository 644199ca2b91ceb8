import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { initBackend } from "../../lib/backend";
import { imagenetConfigs, imagenetFiles, loadImagenet, memoryFit, pickConfiguration } from "../../lib/course/imagenet";
import { hashedStateDict, loadStateDict } from "../../lib/io";
import { admConfiguration, EncoderUNetModel, UNetModel } from "../../lib/models";
import { classifierCondFn, ddim, sample } from "../../lib/sampling";
import { maxAbsDiff } from "../engine/helpers";

beforeAll(async () => {
  await initBackend("wasm");
});

const empty = mkdtempSync(join(tmpdir(), "adm-imagenet-"));

test("the memory estimate comes from the flags: about 4x the float32 weights of model and classifier", () => {
  const fit = memoryFit(admConfiguration("64x64"));
  expect(fit.weightBytes).toBe(4 * (295_904_454 + 65_438_568));
  expect(fit.peakBytes).toBe(4 * fit.weightBytes + 2 ** 29);
  expect(fit.summary).toMatch(/^64x64: 1\.35 GiB of float32 weights, about 5\.88 GiB at the peak of loading; this machine has/);
  expect(memoryFit(admConfiguration("512x512"), {}).weightBytes).toBeLessThan(200e6);
});

test("a named configuration that cannot fit is refused before anything is loaded", async () => {
  const fits = memoryFit(admConfiguration("512x512")).fits;
  if (fits) expect(pickConfiguration("512x512", empty).name).toBe("512x512");
  else expect(() => pickConfiguration("512x512", empty)).toThrow(/it does not fit\. Pick a smaller configuration/);
  // without a name: the largest class-conditional configuration that fits (the unconditional one is never picked)
  expect(pickConfiguration(undefined, empty).classCond).toBe(true);
  // files present win over size
  const dir = mkdtempSync(join(tmpdir(), "adm-imagenet-"));
  writeFileSync(join(dir, "64x64_diffusion.pt"), "");
  writeFileSync(join(dir, "64x64_classifier.pt"), "");
  expect(imagenetFiles(admConfiguration("64x64"), dir).present).toBe(true);
  expect(pickConfiguration(undefined, dir).name).toBe("64x64");
});

test("stand-ins on the engine sample what tfjs samples with the same weights: guided DDIM, an unconditional model with labels for the classifier", async () => {
  const conf = admConfiguration("256x256-uncond");
  const reduce = { deepest: 1 };
  const setup = await loadImagenet(conf, { dir: empty, reduce, seed: 5, threads: 1 });
  expect(setup.released).toBe(false);
  expect(setup.imageSize).toBe(32);
  expect(setup.engine).toBe("ONNX Runtime (cpu, 1 thread)");
  // the same networks on tfjs, with the same hashed weights
  const { unet, classifier } = imagenetConfigs(conf, reduce);
  const model = new UNetModel(unet);
  loadStateDict(model, hashedStateDict(model.specs, 5));
  const cls = new EncoderUNetModel(classifier);
  loadStateDict(cls, hashedStateDict(cls.specs, 5));
  const y = tf.tensor1d([263], "int32");
  const opts = { steps: [0, 500, 999], seed: 1, modelKwargs: { y } };
  const viaEngine = await sample(ddim, setup.diffusion, setup.model, [1, 32, 32, 3], { ...opts, condFn: setup.condFn(10) });
  const viaTfjs = await sample(ddim, setup.diffusion, { forward: (x, t) => model.forward(x, t) }, [1, 32, 32, 3], {
    ...opts,
    condFn: classifierCondFn(cls, 10),
  });
  // the networks agree to about 1e-6 (the goldens); s = 10 and three steps amplify that to about 2e-4
  expect(await maxAbsDiff(viaEngine, viaTfjs)).toBeLessThan(1e-3);
  // guidance moved the sample: s = 0 gives another one
  const unguided = await sample(ddim, setup.diffusion, setup.model, [1, 32, 32, 3], { ...opts, condFn: setup.condFn(0) });
  expect(await maxAbsDiff(unguided, viaEngine)).toBeGreaterThan(1e-3);
  const lp = await setup.logProb(viaEngine, y);
  const logits = cls.forward(viaEngine, tf.zeros([1], "int32") as tf.Tensor1D);
  const expected = (await tf.logSoftmax(logits).data())[263];
  expect(Math.abs(lp[0] - expected)).toBeLessThan(1e-4);
  tf.dispose([y, viaEngine, viaTfjs, unguided, logits]);
  model.dispose();
  cls.dispose();
  await setup.dispose();
});
