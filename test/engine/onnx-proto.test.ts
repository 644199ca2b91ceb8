import { createSession } from "../../lib/engine/session";
import { encodeAttribute, encodeModel, encodeNode, encodeTensor, encodeValueInfo } from "../../lib/engine/onnx-proto";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ascii = (s: string) => Buffer.from(s, "latin1").toString("hex");

describe("ONNX messages with onnx.proto's field numbers, hand-computed", () => {
  test("NodeProto: input = 1, output = 2, op_type = 4, attribute = 5", () => {
    const relu = encodeNode({ opType: "Relu", inputs: ["x"], outputs: ["y"] }).finish();
    expect(hex(relu)).toBe(`0a01${ascii("x")}1201${ascii("y")}2204${ascii("Relu")}`);
  });

  test("AttributeProto: name = 1, type = 20, f = 2, i = 3, s = 4, ints = 8", () => {
    // INT (type 2) -1: the value as a 10-byte two's-complement varint
    expect(hex(encodeAttribute({ name: "axis", value: { type: "int", value: -1 } }).finish())).toBe(`0a04${ascii("axis")}a00102` + "18ffffffffffffffffff01");
    // FLOAT (type 1) 0.5 = 0x3f000000
    expect(hex(encodeAttribute({ name: "alpha", value: { type: "float", value: 0.5 } }).finish())).toBe(`0a05${ascii("alpha")}a00101` + "150000003f");
    // STRING (type 3)
    expect(hex(encodeAttribute({ name: "mode", value: { type: "string", value: "reflect" } }).finish())).toBe(
      `0a04${ascii("mode")}a00103` + `2207${ascii("reflect")}`,
    );
    // INTS (type 7), one key per element
    expect(hex(encodeAttribute({ name: "perm", value: { type: "ints", value: [1, 0] } }).finish())).toBe(`0a04${ascii("perm")}a00107` + "40014000");
  });

  test("TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9; external_data = 13, data_location = 14", () => {
    const raw = new Uint8Array(Float32Array.of(1, 2).buffer);
    expect(hex(encodeTensor({ name: "w", elemType: "float32", dims: [2], raw }).finish())).toBe(
      `08021001 4201${ascii("w")} 4a08 0000803f 00000040`.replace(/ /g, ""),
    );
    const ext = encodeTensor({ name: "w", elemType: "int64", dims: [3], external: { location: "d", offset: 64, length: 24 } }).finish();
    const entry = (k: string, v: string) => {
      const body = `0a${k.length.toString(16).padStart(2, "0")}${ascii(k)}12${v.length.toString(16).padStart(2, "0")}${ascii(v)}`;
      return `6a${(body.length / 2).toString(16).padStart(2, "0")}${body}`;
    };
    expect(hex(ext)).toBe(`08031007 4201${ascii("w")}`.replace(/ /g, "") + entry("location", "d") + entry("offset", "64") + entry("length", "24") + "7001");
  });

  test("ValueInfoProto: name = 1, type = 2 -> TypeProto.tensor_type = 1 -> elem_type = 1, shape = 2 -> dim = 1", () => {
    // dim "N": dim_param = 2; dim 3: dim_value = 1
    const v = encodeValueInfo({ name: "x", elemType: "float32", shape: ["N", 3] }).finish();
    expect(hex(v)).toBe(`0a01${ascii("x")} 120f 0a0d 0801 1209 0a03 1201${ascii("N")} 0a02 0803`.replace(/ /g, ""));
  });
});

test("a model with every attribute type loads in ONNX Runtime and computes what it says", async () => {
  const w = Float32Array.of(0.5, -1, 2);
  const model = encodeModel({
    irVersion: 8,
    opsets: [{ domain: "", version: 17 }],
    producerName: "adm-ts test",
    producerVersion: "0",
    graph: {
      name: "attributes",
      nodes: [
        { opType: "Add", inputs: ["x", "w"], outputs: ["s"] },
        { opType: "LeakyRelu", inputs: ["s"], outputs: ["r"], attributes: [{ name: "alpha", value: { type: "float", value: 0.25 } }] },
        { opType: "Pad", inputs: ["r", "pads"], outputs: ["p"], attributes: [{ name: "mode", value: { type: "string", value: "reflect" } }] },
        { opType: "Transpose", inputs: ["p"], outputs: ["pt"], attributes: [{ name: "perm", value: { type: "ints", value: [1, 0] } }] },
        { opType: "Softmax", inputs: ["r"], outputs: ["sm"], attributes: [{ name: "axis", value: { type: "int", value: -1 } }] },
      ],
      initializers: [
        { name: "w", elemType: "float32", dims: [3], raw: new Uint8Array(w.buffer) },
        { name: "pads", elemType: "int64", dims: [4], raw: new Uint8Array(BigInt64Array.of(0n, 1n, 0n, 1n).buffer) },
      ],
      inputs: [{ name: "x", elemType: "float32", shape: ["N", 3] }],
      outputs: [
        { name: "pt", elemType: "float32", shape: [5, "N"] },
        { name: "sm", elemType: "float32", shape: ["N", 3] },
      ],
    },
  });
  // through the engine's worker: onnxruntime-node's JS wrapper rejects typed arrays of jest's vm realm
  const session = await createSession({ model, externalData: null }, { threads: 1 });
  expect(session.inputNames).toEqual(["x"]);
  expect(session.outputNames).toEqual(["pt", "sm"]);
  const x = Float32Array.of(1, 2, 3, -4, 5, -6);
  const out = await session.run({ x: { type: "float32", data: x, dims: [2, 3] } });
  // r = leaky_relu(x + w, 0.25)
  const r = Array.from(x, (v, i) => {
    const s = v + w[i % 3];
    return s > 0 ? s : 0.25 * s;
  });
  // reflect padding by one column each side: [r1, r0, r1, r2, r1], then transposed to [5, 2]
  const padded = [0, 1].map((row) => [1, 0, 1, 2, 1].map((c) => r[row * 3 + c]));
  expect(out.pt.dims).toEqual([5, 2]);
  const pt = out.pt.data as Float32Array;
  for (let c = 0; c < 5; c++) for (let row = 0; row < 2; row++) expect(pt[c * 2 + row]).toBeCloseTo(padded[row][c], 6);
  const sm = out.sm.data as Float32Array;
  for (let row = 0; row < 2; row++) {
    const e = [0, 1, 2].map((c) => Math.exp(r[row * 3 + c]));
    const z = e[0] + e[1] + e[2];
    for (let c = 0; c < 3; c++) expect(sm[row * 3 + c]).toBeCloseTo(e[c] / z, 6);
  }
  await session.dispose();
});
