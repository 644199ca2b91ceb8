import * as tf from "@tensorflow/tfjs";
import { copyFileSync, mkdtempSync, readdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { initBackend } from "../../lib/backend";
import { AdmInputError } from "../../lib/io/errors";
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from "../../lib/io/safetensors";
import { UNetModel } from "../../lib/models/unet";
import { initTrainState } from "../../lib/train/loop";
import { MODEL_FILE, STATE_FILE, loadCheckpoint, readCheckpointInfo, restoreModelFile, saveCheckpoint } from "../../lib/train/checkpoint";
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
