import * as tf from "@tensorflow/tfjs";
import { existsSync, readdirSync } from "fs";
import { join, resolve } from "path";
import { initBackend } from "../../lib/backend";
import { readSafetensors } from "../../lib/io/safetensors";
import { loadTrainedClassifier, loadTrainedDiffusion } from "../../lib/train/trained-model";

const MODELS = resolve(__dirname, "../../models");
const shipped = readdirSync(MODELS).filter((d) => existsSync(join(MODELS, d, "model.safetensors")));

beforeAll(async () => {
  await initBackend("wasm");
});

describe("shipped course models", () => {
  it("are committed", () => {
    expect(shipped.length).toBeGreaterThan(0);
  });

  it.each(shipped)("%s loads strictly and gives finite outputs", (name) => {
    const dir = join(MODELS, name);
    const kind = JSON.parse(readSafetensors(join(dir, "model.safetensors")).metadata.config).model.kind;
    const x = tf.randomNormal([2, 32, 32, 1], 0, 1, "float32", 1) as tf.Tensor4D;
    const t = tf.tensor1d([10, 900], "int32");
    if (kind === "diffusion") {
      const m = loadTrainedDiffusion(dir);
      const out = m.model.forward(x, t, tf.tensor1d([3, 7], "int32"));
      expect(out.shape).toEqual([2, 32, 32, 2]);
      expect(tf.isFinite(out).all().dataSync()[0]).toBe(1);
      m.net.dispose();
    } else {
      const c = loadTrainedClassifier(dir);
      const logits = c.net.forward(x, t);
      expect(logits.shape).toEqual([2, 10]);
      expect(tf.isFinite(logits).all().dataSync()[0]).toBe(1);
      c.net.dispose();
    }
  });
});
