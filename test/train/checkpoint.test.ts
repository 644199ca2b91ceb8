import { mkdtempSync, readdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { initBackend } from "../../lib/backend";
import { loadStateDict } from "../../lib/io";
import { readSafetensors } from "../../lib/io/safetensors";
import { toFloat32 } from "../../lib/io/tensor-record";
import { UNetModel } from "../../lib/models/unet";
import { COURSE_CONFIGS, type DiffusionModelConfig } from "../../lib/course/model-configs";
import { exportWeights, saveEmaSnapshot, SNAPSHOT_DIR } from "../../lib/train/checkpoint";
import { initTrainState } from "../../lib/train/loop";
import { seedInitialWeights } from "../../lib/train/init";

beforeAll(async () => {
  await initBackend("wasm");
});

test("an EMA snapshot holds the EMA weights in float16 under the step's name, and loads into a model", () => {
  const cfg = COURSE_CONFIGS["test-tiny"] as DiffusionModelConfig;
  const model = new UNetModel({ ...cfg.unet, imageSize: 8 });
  seedInitialWeights(model, 1);
  const state = initTrainState(model, [0.99, 0.999]);
  state.step = 1200;
  // make the EMA of the larger rate differ from the weights
  const ema = state.ema.get(0.999)!;
  for (const v of ema.values()) v.assign(v.add(0.125));
  const dir = mkdtempSync(join(tmpdir(), "snap-"));
  const file = saveEmaSnapshot(dir, model, state, { note: "run" });
  expect(readdirSync(join(dir, SNAPSHOT_DIR))).toEqual(["step-001200.safetensors"]);
  expect(file).toBe(join(dir, SNAPSHOT_DIR, "step-001200.safetensors"));
  const { tensors, metadata } = readSafetensors(file);
  expect(metadata).toMatchObject({ format: "pt", step: "1200", weights: "ema_0.999", config: JSON.stringify({ note: "run" }) });
  const expected = exportWeights(model, ema);
  expect(Array.from(tensors.keys()).sort()).toEqual(Array.from(expected.keys()).sort());
  for (const [name, r] of tensors) {
    expect(r.dtype).toBe("float16");
    const want = expected.get(name)!.data as Float32Array;
    const got = toFloat32(r);
    // float16 keeps 11 significant bits: within 2^-11 relative (and 2^-24 near zero)
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * 2 ** -11 + 2 ** -24);
  }
  const loaded = new UNetModel({ ...cfg.unet, imageSize: 8 });
  loadStateDict(loaded, tensors);
  const a = loaded.params.get("out.2.bias")!.dataSync(), b = ema.get("out.2.bias")!.dataSync();
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 3);
  model.dispose();
  loaded.dispose();
});
