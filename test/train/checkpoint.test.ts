import * as tf from "@tensorflow/tfjs";
import { copyFileSync, mkdtempSync, readdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { initBackend } from "../../lib/backend";
import { AdmInputError } from "../../lib/io/errors";
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from "../../lib/io/safetensors";
import { UNetModel } from "../../lib/models/unet";
import { initTrainState } from "../../lib/train/loop";
import {
  MODEL_FILE,
  SNAPSHOT_DIR,
  STATE_FILE,
  exportWeights,
  loadCheckpoint,
  readCheckpointInfo,
  restoreModelFile,
  saveCheckpoint,
  saveEmaSnapshot,
} from "../../lib/train/checkpoint";
import { seedInitialWeights } from "../../lib/train/init";
import { loadStateDict } from "../../lib/io";
import { toFloat32 } from "../../lib/io/tensor-record";
import { loadTrainedDiffusion } from "../../lib/course/trained-model";
import { COURSE_CONFIGS, type DiffusionModelConfig } from "../../lib/course/model-configs";
import { thrown } from "../helpers/memory";

const tiny = COURSE_CONFIGS["test-tiny"] as DiffusionModelConfig;
const config = { name: "test-tiny", model: { ...tiny, unet: { ...tiny.unet, imageSize: 8 } } };

beforeAll(async () => {
  await initBackend("wasm");
});

/** A checkpoint at `step` in a fresh folder, its weights all equal to `value`. */
function checkpointAt(step: number, value: number): { dir: string; net: UNetModel } {
  const dir = mkdtempSync(join(tmpdir(), "ckpt-"));
  const net = new UNetModel(config.model.unet);
  for (const v of net.params.values()) v.assign(tf.fill(v.shape, value));
  const state = initTrainState(net, [0.999]);
  state.step = step;
  saveCheckpoint(dir, net, state, config);
  return { dir, net };
}

/** Rewrite `path` with its tensors and `change` applied to its metadata. */
function editMetadata(path: string, change: (m: Record<string, string>) => void): void {
  const { tensors, metadata } = readSafetensors(path);
  change(metadata);
  writeSafetensors(path, tensors, metadata);
}

describe("checkpoints", () => {
  it("write the model and the state as a pair that names one save; nothing but the two files is left", () => {
    const { dir } = checkpointAt(3, 0.5);
    expect(readdirSync(dir).sort()).toEqual([MODEL_FILE, STATE_FILE]);
    const model = readSafetensorsMetadata(join(dir, MODEL_FILE));
    const info = readCheckpointInfo(dir);
    expect(model.step).toBe("3");
    expect(info.step).toBe(3);
    expect(info.modelSaveId).toBe(model.saveId);
    expect(model.saveId).toMatch(/^3-[0-9a-f]{12}$/);
  });

  it("refuse a model from another save than the state beside it (a kill between the two renames), and a resume rewrites it", () => {
    const old = checkpointAt(3, 0.25);
    const newer = checkpointAt(6, 0.75);
    copyFileSync(join(newer.dir, MODEL_FILE), join(old.dir, MODEL_FILE)); // the model's rename happened, the state's did not
    const e = thrown(() => loadTrainedDiffusion(old.dir));
    expect(e).toBeInstanceOf(AdmInputError);
    expect(e.message).toContain(
      `${join(old.dir, MODEL_FILE)}: this model is from step 6 but ${STATE_FILE} beside it, the checkpoint's commit point, is at step 3`,
    );
    expect(e.message).toContain(`run 'adm-ts train --out ${old.dir} --resume --steps 3'`);

    const net = new UNetModel(config.model.unet);
    const state = initTrainState(net, [0.999]);
    loadCheckpoint(old.dir, state);
    expect(restoreModelFile(old.dir, net, state)).toBe(true);
    expect(restoreModelFile(old.dir, net, state)).toBe(false);
    const repaired = loadTrainedDiffusion(old.dir);
    expect(repaired.step).toBe(3);
    expect(repaired.net.params.get("out.2.bias")!.dataSync()[0]).toBeCloseTo(0.25, 6);
  });

  it("refuse hostile metadata with an AdmInputError naming the file and the key, never a SyntaxError or TypeError", () => {
    const cases: [string, string, (m: Record<string, string>) => void, RegExp][] = [
      [
        STATE_FILE,
        "config not JSON",
        (m) => {
          m.config = '{"name": ';
        },
        /state\.safetensors: "config" is not JSON .* \(at __metadata__ "config"\)/,
      ],
      [
        STATE_FILE,
        "step not a count",
        (m) => {
          m.step = "-1";
        },
        /state\.safetensors: step is "-1", not a step count \(at __metadata__ "step"\)/,
      ],
      [
        STATE_FILE,
        "history of the wrong kind",
        (m) => {
          m.history = '[{"step": 0}]';
        },
        /history entry 0 is \{step\}, not \{step, loss, lr, gradNorm, seconds, extras\} \(at __metadata__ "history" \[0\]\)/,
      ],
      [
        STATE_FILE,
        "EMA rates",
        (m) => {
          m.emaRates = "[5]";
        },
        /emaRates is \[5\], not a list of rates in \[0, 1\) \(at __metadata__ "emaRates"\)/,
      ],
      [
        STATE_FILE,
        "format",
        (m) => {
          m.format = "other";
        },
        /not an adm-ts training checkpoint \(format "other"\)/,
      ],
    ];
    for (const [file, what, change, message] of cases) {
      const { dir } = checkpointAt(1, 0.1);
      editMetadata(join(dir, file), change);
      const e = thrown(() => readCheckpointInfo(dir));
      expect([what, e instanceof AdmInputError]).toEqual([what, true]);
      expect(e.message).toMatch(message);
    }
  });

  it("refuse a model whose stored configuration is hostile, naming the file and the key", () => {
    const cases: [(m: Record<string, string>) => void, RegExp][] = [
      [
        (m) => {
          m.config = "not json";
        },
        /model\.safetensors: "config" is not JSON .*\(at __metadata__ "config"\)/,
      ],
      [
        (m) => {
          m.config = "null";
        },
        /the configuration is None, not \{name, model\}/,
      ],
      [
        (m) => {
          m.config = JSON.stringify({ ...config, model: { ...config.model, kind: "gan" } });
        },
        /model\.kind is "gan", not "diffusion" or "classifier" \(at __metadata__ "config" model\.kind\)/,
      ],
      [
        (m) => {
          m.config = JSON.stringify({ ...config, model: { ...config.model, unet: { ...config.model.unet, imageSize: -3 } } });
        },
        /UNetConfig: imageSize must be a positive integer, got -3 \(at __metadata__ "config" model\.unet\)/,
      ],
      [
        (m) => {
          m.config = JSON.stringify({ ...config, model: { ...config.model, diffusion: { steps: 1e9 } } });
        },
        /1000000000 diffusion steps \(at __metadata__ "config" model\.diffusion\.steps\)/,
      ],
    ];
    for (const [change, message] of cases) {
      const { dir } = checkpointAt(1, 0.1);
      editMetadata(join(dir, MODEL_FILE), change);
      const e = thrown(() => loadTrainedDiffusion(dir));
      expect(e).toBeInstanceOf(AdmInputError);
      expect(e.message).toMatch(message);
    }
  });

  it("refuse a state holding NaN, and leave the training state as it was", () => {
    const { dir, net } = checkpointAt(2, 0.5);
    const path = join(dir, STATE_FILE);
    const { tensors, metadata } = readSafetensors(path);
    const key = [...tensors.keys()].find((k) => k.startsWith("adam.v/"))!;
    (tensors.get(key)!.data as Float32Array)[0] = NaN;
    writeSafetensors(path, tensors, metadata);
    const state = initTrainState(net, [0.999]);
    const e = thrown(() => loadCheckpoint(dir, state));
    expect(e.message).toContain(`value 0 is NaN (at tensor ${JSON.stringify(key)})`);
    expect(state.step).toBe(0);
  });
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
  const a = loaded.params.get("out.2.bias")!.dataSync(),
    b = ema.get("out.2.bias")!.dataSync();
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 3);
  model.dispose();
  loaded.dispose();
});
