import * as tf from "@tensorflow/tfjs";
import { join } from "path";
import { initBackend } from "../../lib/backend";
import { readNpz, TensorRecord, toFloat32 } from "../../lib/io";
import { inceptionForward } from "../../lib/metrics/inception-v3";
import { loadInceptionV3 } from "../../lib/metrics/inception-weights";
import { maxAbsDiff } from "../models/golden-helpers";
import { generatedInceptionWeights } from "./inception-golden-weights";

// Written by test/fixtures/metrics/make_inception_golden.py with pytorch-fid's InceptionV3.
const golden = readNpz(join(__dirname, "../fixtures/metrics/inception_v3.npz"));
const get = (name: string): TensorRecord => {
  const r = golden.get(name);
  if (!r) throw new Error(`inception_v3.npz has no array ${name}; rerun make_inception_golden.py`);
  return r;
};
const weights = generatedInceptionWeights();

beforeAll(async () => {
  await initBackend("wasm");
});

describe("FID InceptionV3 reproduces pytorch-fid's network (generated weights)", () => {
  test("the weights regenerated here are the ones pytorch-fid was given, bit for bit", () => {
    const probes = [...golden.keys()].filter((k) => k.startsWith("probe."));
    expect(probes).toHaveLength(4);
    for (const key of probes) {
      const name = key.slice("probe.".length);
      const values = weights.get(name)!.data as Float32Array;
      const ends = [...values.subarray(0, 8), ...values.subarray(values.length - 8)];
      expect([name, ends]).toEqual([name, Array.from(get(key).data as Float32Array)]);
    }
  });

  test("pool3, the sFID spatial features and the logits of two 299 x 299 images, within 1e-4", async () => {
    const net = loadInceptionV3(weights, "generated weights");
    const images = get("images");
    const x = tf.tensor4d(
      Float32Array.from(images.data as Uint8Array, (v) => v / 127.5 - 1),
      images.shape as [number, number, number, number],
    );
    const out = inceptionForward(net, x);
    const diff = async (name: "pool3" | "spatial" | "logits"): Promise<number> => {
      const r = get(name);
      expect(out[name].shape).toEqual(r.shape);
      const expected = tf.tensor2d(toFloat32(r), r.shape as [number, number]);
      const d = await maxAbsDiff(out[name], expected);
      expected.dispose();
      return d;
    };
    expect(await diff("pool3")).toBeLessThan(1e-4);
    expect(await diff("spatial")).toBeLessThan(1e-4);
    expect(await diff("logits")).toBeLessThan(1e-4);
    tf.dispose([x, out.pool3, out.spatial, out.logits]);
    net.dispose();
  }, 120000);
});
