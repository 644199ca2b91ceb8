/** Tapping a UNet's forward pass: the same output as forward, layer inputs that reproduce each layer, a block table that matches the shapes, no leaks. */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { UNetModel, countUNetParameters } from "../../lib/models";
import { attentionBlock, resBlock } from "../../lib/nn";
import { COURSE_CONFIGS, type DiffusionModelConfig } from "../../lib/course/model-configs";
import { disposeTaps, tapUNet, unetBlockTable } from "../../lib/course/unet-taps";

beforeAll(async () => {
  await initBackend("wasm");
});

const config = (COURSE_CONFIGS["fashion-cond"] as DiffusionModelConfig).unet;

function randomised(): UNetModel {
  const net = new UNetModel(config);
  let seed = 1;
  // zero-initialised convs would hide a wrong wiring: give every parameter random values
  for (const v of net.params.values()) v.assign(tf.randomNormal(v.shape, 0, 0.1, "float32", seed++));
  return net;
}

test("tapUNet returns forward's output and each tapped layer's input, output and embedding", () => {
  const net = randomised();
  const x = tf.randomNormal([2, 32, 32, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  const t = tf.tensor1d([10, 700], "int32"),
    y = tf.tensor1d([3, 10], "int32");
  const before = tf.memory().numTensors;
  const f = tapUNet(net, x, t, y, ["output_blocks.0.0", "output_blocks.0.1"]);
  const want = net.forward(x, t, y);
  expect(tf.tidy(() => f.output.sub(want).abs().max().dataSync()[0])).toBeLessThan(1e-5);
  const res = f.taps.get("output_blocks.0.0")!,
    attn = f.taps.get("output_blocks.0.1")!;
  expect(res.input.shape).toEqual([2, 8, 8, 128]);
  expect(res.emb!.shape).toEqual([2, 128]);
  const layer = res.layer.kind === "resblock" ? res.layer : null;
  const again = resBlock(net.params, "output_blocks.0.0", layer!.cfg, res.input as tf.Tensor4D, res.emb!, null);
  expect(tf.tidy(() => again.sub(res.output).abs().max().dataSync()[0])).toBe(0);
  expect(attn.emb).toBeNull();
  expect(tf.tidy(() => attn.input.sub(res.output).abs().max().dataSync()[0])).toBe(0);
  const acfg = attn.layer.kind === "attention" ? attn.layer.cfg : null;
  expect(
    tf.tidy(
      () =>
        attentionBlock(net.params, "output_blocks.0.1", acfg!, attn.input as tf.Tensor4D)
          .sub(attn.output)
          .abs()
          .max()
          .dataSync()[0],
    ),
  ).toBe(0);
  expect(f.shapes.find((s) => s.name === "input_blocks.2.0")).toEqual({ name: "input_blocks.2.0", kind: "resblock", shape: [2, 16, 16, 32] });
  disposeTaps(f);
  tf.dispose([want, again]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, t, y]);
  net.dispose();
});

test("tapUNet names the layers it has when asked for one it does not, and checks the labels", () => {
  const net = new UNetModel(config);
  const x = tf.zeros([1, 32, 32, 1]) as tf.Tensor4D,
    t = tf.tensor1d([0], "int32");
  expect(() => tapUNet(net, x, t, tf.tensor1d([0], "int32"), ["output_blocks.0.3"])).toThrow(
    /tapUNet: no layer named output_blocks\.0\.3; this plan has time_embed\.0, time_embed\.2, label_emb, input_blocks\.0\.0, /,
  );
  expect(() => tapUNet(net, x, t, null, [])).toThrow(/class-conditional: pass labels y/);
  net.dispose();
});

test("unetBlockTable follows the shapes of a real forward pass and sums to the parameter count", () => {
  const net = new UNetModel(config);
  const rows = unetBlockTable(net);
  const f = tapUNet(net, tf.zeros([1, 32, 32, 1]) as tf.Tensor4D, tf.tensor1d([0], "int32"), tf.tensor1d([0], "int32"), []);
  for (const row of rows) {
    const last = f.shapes.filter((s) => s.name.startsWith(`${row.block}.`)).pop()!;
    expect([row.block, last.shape[1], last.shape[3]]).toEqual([row.block, row.resolution, row.channels]);
  }
  expect(rows.find((r) => r.block === "middle_block")!.layers).toBe("ResBlock 64→64 + attention (2 heads) + ResBlock 64→64");
  expect(rows.find((r) => r.block === "input_blocks.2")!.layers).toBe("ResBlock (down) 32→32");
  // the table leaves out time_embed, label_emb and out
  const rest = 32 * 128 + 128 + 128 * 128 + 128 + 11 * 128 + 2 * 32 + 9 * 32 * 2 + 2;
  expect(rows.reduce((s, r) => s + r.parameters, 0) + rest).toBe(countUNetParameters(config));
  disposeTaps(f);
  net.dispose();
});
