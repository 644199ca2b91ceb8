import * as tf from "@tensorflow/tfjs";
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { initBackend } from "../../lib/backend";
import { UNetModel } from "../../lib/models/unet";
import { stateDict } from "../../lib/io/state-dict";
import { seedInitialWeights } from "../../lib/train/init";
import { initTrainState } from "../../lib/train/loop";
import { saveCheckpoint } from "../../lib/train/checkpoint";
import { COURSE_CONFIGS, type DiffusionModelConfig } from "../../lib/course/model-configs";
import { foldNullClass, warmStart } from "../../lib/course/warm-start";

const cond = COURSE_CONFIGS["test-tiny"] as DiffusionModelConfig;
const uncond: DiffusionModelConfig = { ...cond, unet: { ...cond.unet, numClasses: null }, classDropout: 0 };
const small = { ...cond.unet, imageSize: 8 };

beforeAll(async () => {
  await initBackend("wasm");
});

/** A class-conditional network with every weight random (ADM zero-initialises output layers, which would hide the labels). */
async function randomConditional(): Promise<UNetModel> {
  const net = new UNetModel(small);
  seedInitialWeights(net, 3);
  tf.tidy(() => {
    let k = 0;
    for (const [name, v] of net.params) v.assign(tf.randomNormal(v.shape, 0, name.endsWith("bias") || name === "label_emb.weight" ? 0.5 : 0.1, "float32", k++));
  });
  return net;
}

describe("foldNullClass", () => {
  it("turns a label-dropout model asked for its null class into an unconditional network with the same outputs", async () => {
    const net = await randomConditional();
    const folded = foldNullClass(await stateDict(net), 10);
    expect(folded.has("label_emb.weight")).toBe(false);
    const plain = new UNetModel({ ...small, numClasses: null });
    const { loadStateDict } = await import("../../lib/io/state-dict");
    loadStateDict(plain, folded);
    const x = tf.randomNormal([3, 8, 8, 1], 0, 1, "float32", 1) as tf.Tensor4D;
    const t = tf.tensor1d([5, 40, 99], "float32");
    const asked = net.forward(x, t, tf.tensor1d([10, 10, 10], "int32"));
    const other = net.forward(x, t, tf.tensor1d([0, 0, 0], "int32"));
    const got = plain.forward(x, t);
    const gap = (a: tf.Tensor, b: tf.Tensor): number => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    expect(gap(got, asked)).toBeLessThan(1e-5);
    expect(gap(got, other)).toBeGreaterThan(1e-2); // the class changes the output, so the equality above is not vacuous
  });

  it("names the file and key when there is nothing to fold or the class is out of range", async () => {
    const d = await stateDict(await randomConditional());
    expect(() => foldNullClass(d, 11, "a.safetensors")).toThrow(/a.safetensors: null class 11 is outside label_emb.weight \[11,128\]/);
    const noLabels = new Map(d);
    noLabels.delete("label_emb.weight");
    expect(() => foldNullClass(noLabels, 10, "b.safetensors")).toThrow(/b.safetensors: no label_emb.weight; it is not a class-conditional model/);
  });
});

describe("warmStart", () => {
  async function trainedDir(config: DiffusionModelConfig): Promise<{ dir: string; net: UNetModel }> {
    const dir = mkdtempSync(join(tmpdir(), "warm-"));
    const net = config.unet.numClasses == null ? new UNetModel({ ...small, numClasses: null }) : await randomConditional();
    saveCheckpoint(dir, net, initTrainState(net, [0.999]), { name: "src", model: { ...config, unet: small } });
    return { dir, net };
  }

  it("copies the weights of the same network and folds the null class for an unconditional target", async () => {
    const { dir, net } = await trainedDir(cond);
    const same = new UNetModel(small);
    const info = warmStart(same, { ...cond, unet: small }, dir);
    expect(info).toEqual({ dir, name: "src", step: 0, foldedNullClass: null });
    for (const [k, v] of net.params) expect(tf.max(tf.abs(tf.sub(v, same.params.get(k)!))).dataSync()[0]).toBe(0);
    const plain = new UNetModel({ ...small, numClasses: null });
    expect(warmStart(plain, { ...uncond, unet: { ...small, numClasses: null } }, dir).foldedNullClass).toBe(10);
  });

  it("refuses a missing directory, another kind of model, and a conditional model without label dropout", async () => {
    const plain = new UNetModel({ ...small, numClasses: null });
    expect(() => warmStart(plain, uncond, "/nonexistent/run")).toThrow(/--init-from \/nonexistent\/run: no model.safetensors there/);
    const { dir } = await trainedDir({ ...cond, classDropout: 0 });
    expect(() => warmStart(plain, uncond, dir)).toThrow(/without label dropout has no null class/);
    expect(() => warmStart(plain, COURSE_CONFIGS["fashion-classifier"], dir)).toThrow(/holds a diffusion model; this run trains a classifier/);
  });
});
