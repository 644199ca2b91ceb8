import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { EncoderUNetModel } from "../../lib/models/encoder-unet";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("EncoderUNetModel.features", () => {
  it("are what the adaptive pool's final 1x1 conv maps to the logits", () => {
    const net = new EncoderUNetModel({ imageSize: 8, inChannels: 1, modelChannels: 32, outChannels: 5, numResBlocks: 1,
      attentionResolutions: [], channelMult: [1, 2], pool: "adaptive" });
    const x = tf.randomNormal([3, 8, 8, 1], 0, 1, "float32", 7) as tf.Tensor4D;
    const t = tf.tensor1d([0, 10, 500], "int32");
    const feats = net.features(x, t);
    expect(feats.shape).toEqual([3, 64]);
    // logits = W^T f + b with out.3 a 1x1 conv [1, 1, 64, 5]
    const w = net.params.get("out.3.weight")!.reshape([64, 5]);
    const b = net.params.get("out.3.bias")!;
    const viaFeatures = tf.matMul(feats, w).add(b);
    const logits = net.forward(x, t);
    expect(tf.max(tf.abs(viaFeatures.sub(logits))).dataSync()[0]).toBeLessThan(1e-5);
    net.dispose();
  });

  it("are the spatial head's input for spatial pools: logits = out.2(relu(out.0(features)))", () => {
    const net = new EncoderUNetModel({ imageSize: 8, inChannels: 1, modelChannels: 32, outChannels: 5, numResBlocks: 1,
      attentionResolutions: [], channelMult: [1, 2], pool: "spatial" });
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, "float32", 3) as tf.Tensor4D;
    const t = tf.tensor1d([0, 0], "int32");
    const feats = net.features(x, t);
    // input blocks: conv 32, resblock 32, downsample 32, resblock 64; middle 64 -> 224 features
    expect(feats.shape).toEqual([2, 224]);
    const p = (k: string) => net.params.get(k)!;
    const hidden = tf.relu(tf.matMul(feats, p("out.0.weight")).add(p("out.0.bias")));
    const viaFeatures = tf.matMul(hidden, p("out.2.weight")).add(p("out.2.bias"));
    expect(tf.max(tf.abs(viaFeatures.sub(net.forward(x, t)))).dataSync()[0]).toBeLessThan(1e-4);
    net.dispose();
  });
});
