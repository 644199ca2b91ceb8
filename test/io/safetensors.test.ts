import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { readSafetensors, writeSafetensors, StateDict } from "../../lib/io";

describe("safetensors", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "adm-st-"));

  test("round-trips tensors of several dtypes, order and metadata", () => {
    const tensors: StateDict = new Map([
      ["b.weight", { dtype: "float32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
      ["a.bias", { dtype: "float16", shape: [1], data: new Uint16Array([0x3c00]) }],
      ["steps", { dtype: "int64", shape: [], data: new BigInt64Array([123456789012n]) }],
    ]);
    const file = path.join(dir, "m.safetensors");
    writeSafetensors(file, tensors, { format: "pt", config: "{\"x\":1}" });
    const back = readSafetensors(file);
    expect([...back.tensors.keys()]).toEqual(["b.weight", "a.bias", "steps"]);
    expect(back.tensors).toEqual(tensors);
    expect(back.metadata).toEqual({ format: "pt", config: "{\"x\":1}" });
    expect(readdirSync(dir)).toEqual(["m.safetensors"]);
  });

  test("writes the format's layout: u64 header length, 8-byte aligned JSON header, then data", () => {
    const file = path.join(dir, "layout.safetensors");
    writeSafetensors(file, new Map([["x", { dtype: "float32", shape: [2], data: new Float32Array([1.5, -2]) }]]));
    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(bytes.toString("utf8", 8, 8 + n));
    expect(header).toEqual({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } });
    expect(bytes.readFloatLE(8 + n)).toBe(1.5);
    expect(bytes.readFloatLE(8 + n + 4)).toBe(-2);
  });

  test("reads a file written independently of our writer", () => {
    const header = Buffer.from(JSON.stringify({ __metadata__: { k: "v" }, w: { dtype: "I32", shape: [2], data_offsets: [0, 8] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const data = Buffer.alloc(8);
    data.writeInt32LE(-3, 0);
    data.writeInt32LE(9, 4);
    const file = path.join(dir, "ext.safetensors");
    writeFileSync(file, Buffer.concat([len, header, data]));
    const r = readSafetensors(file);
    expect(Array.from(r.tensors.get("w")!.data as Int32Array)).toEqual([-3, 9]);
    expect(r.metadata).toEqual({ k: "v" });
  });

  test("names the file when it is not safetensors", () => {
    const file = path.join(dir, "bad.safetensors");
    writeFileSync(file, Buffer.from("not a safetensors file at all"));
    expect(() => readSafetensors(file)).toThrow(/bad\.safetensors: not a safetensors file/);
  });
});
