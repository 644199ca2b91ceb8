import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../../lib/backend";
import { emitUNet } from "../../lib/engine/emit-model";
import { serializeGraph, writeOnnx } from "../../lib/engine/serialize";
import { createSession, OnnxTensor } from "../../lib/engine/session";
import { loadStateDict, loadTorchCheckpoint } from "../../lib/io";
import { UNetModel } from "../../lib/models";
import { GOLDEN_UNETS, fixture, golden, nhwc } from "../models/golden-helpers";

let model: UNetModel;
let feeds: Record<string, OnnxTensor>;
let expected: Float32Array;

beforeAll(async () => {
  await initBackend("wasm");
  model = new UNetModel(GOLDEN_UNETS.unet_adagn_updown_new);
  loadStateDict(model, loadTorchCheckpoint(fixture("unet_adagn_updown_new.pt")));
  const g = golden("unet_adagn_updown_new");
  const x = nhwc(g.get("x")!);
  const n = x.shape[0];
  feeds = {
    x: { type: "float32", data: x.dataSync() as Float32Array, dims: x.shape.slice() },
    t: { type: "float32", data: Float32Array.from(g.get("t")!.data as BigInt64Array, Number), dims: [n] },
    y: { type: "int64", data: g.get("y")!.data as BigInt64Array, dims: [n] },
  };
  expected = nhwc(g.get("out")!).dataSync() as Float32Array;
  x.dispose();
});

afterAll(() => model.dispose());

async function runOnce(source: Parameters<typeof createSession>[0]): Promise<Float32Array> {
  const session = await createSession(source, { threads: 1 });
  const out = (await session.run(feeds)).out.data as Float32Array;
  await session.dispose();
  return out;
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test("small models stay in one file by default", () => {
  const s = serializeGraph(emitUNet(model).graph, "unet");
  expect(s.externalData).toBeNull();
  const weightBytes = model.specs.reduce((n, spec) => n + 4 * spec.shape.reduce((a, b) => a * b, 1), 0);
  expect(s.model.byteLength).toBeGreaterThan(weightBytes);
});

test("forced external data: weights in a side file at aligned offsets, same outputs in memory and from disk", async () => {
  const inline = await runOnce(serializeGraph(emitUNet(model).graph, "unet"));
  expect(maxAbs(inline, expected)).toBeLessThan(1e-4);

  const s = serializeGraph(emitUNet(model).graph, "unet", { externalData: "always", location: "unet.weights" });
  expect(s.externalData).not.toBeNull();
  const ext = s.externalData!;
  expect(ext.path).toBe("unet.weights");
  // every tensor of 1 KiB or more lives outside; only the small ones and the graph remain
  const big = model.specs.map((spec) => 4 * spec.shape.reduce((a, b) => a * b, 1)).filter((b) => b >= 1024);
  expect(ext.data.byteLength).toBeGreaterThanOrEqual(big.reduce((a, b) => a + b, 0));
  expect(ext.data.byteLength).toBeLessThan(big.reduce((a, b) => a + b + 64, 0));
  expect(s.model.byteLength).toBeLessThan(ext.data.byteLength / 4);
  // the first external tensor is the first weight emitted, time_embed.0's [in, out], as it is
  const w = model.params.get("time_embed.0.weight")!.dataSync() as Float32Array;
  expect(new Float32Array(ext.data.buffer, 0, w.length)).toEqual(w);

  expect(await runOnce(s)).toEqual(inline);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adm-onnx-"));
  try {
    const file = path.join(dir, "unet.onnx");
    writeOnnx(file, s);
    expect(fs.statSync(path.join(dir, "unet.weights")).size).toBe(ext.data.byteLength);
    expect(await runOnce(file)).toEqual(inline);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("errors name what is wrong", async () => {
  await expect(createSession("/nonexistent/model.onnx")).rejects.toThrow(/no ONNX file at \/nonexistent\/model.onnx/);
  const s = serializeGraph(emitUNet(model).graph, "unet", { externalData: "always" });
  await expect(createSession({ model: s.model, externalData: null }, { threads: 1 })).rejects.toThrow(/ONNX Runtime: .*weights\.bin/);
});
