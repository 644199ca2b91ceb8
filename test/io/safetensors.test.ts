import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { AdmInputError, readSafetensors, writeSafetensors, StateDict } from "../../lib/io";
import { thrown } from "../helpers/memory";
import { safetensorsBytes } from "../helpers/format-bytes";

describe("safetensors", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "adm-st-"));

  test("round-trips tensors of several dtypes, order and metadata", () => {
    const tensors: StateDict = new Map([
      ["b.weight", { dtype: "float32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
      ["a.bias", { dtype: "float16", shape: [1], data: new Uint16Array([0x3c00]) }],
      ["steps", { dtype: "int64", shape: [], data: new BigInt64Array([123456789012n]) }],
    ]);
    const file = path.join(dir, "m.safetensors");
    writeSafetensors(file, tensors, { format: "pt", config: '{"x":1}' });
    const back = readSafetensors(file);
    expect([...back.tensors.keys()]).toEqual(["b.weight", "a.bias", "steps"]);
    expect(back.tensors).toEqual(tensors);
    expect(back.metadata).toEqual({ format: "pt", config: '{"x":1}' });
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

  describe("hostile and damaged headers", () => {
    let n = 0;
    /** The AdmInputError reading a file of `header` and `data` throws. */
    const refusal = (header: unknown, data = Buffer.alloc(8)): AdmInputError => {
      const file = path.join(dir, `h${n++}.safetensors`);
      writeFileSync(file, safetensorsBytes(header, data));
      const e = thrown(() => readSafetensors(file));
      if (!(e instanceof AdmInputError)) throw e;
      expect(e.file).toBe(file);
      return e;
    };
    const f32 = (shape: unknown, offsets: unknown) => ({ dtype: "F32", shape, data_offsets: offsets });

    test("issue 16: a null entry, a missing shape, fractional or negative offsets are refused by tensor name", () => {
      expect(refusal({ w: null }).message).toMatch(/the header entry is None, not \{dtype, shape, data_offsets\} \(at tensor "w"\)/);
      expect(refusal({ w: { dtype: "F32", data_offsets: [0, 8] } }).message).toMatch(
        /the shape is undefined, not a list of dimensions \(at tensor "w" shape\)/,
      );
      expect(refusal({ w: f32([2], [0.5, 8.5]) }).message).toMatch(
        /data_offsets \[0\.5, 8\.5\] are not \[begin, end\] with 0 <= begin <= end \(at tensor "w" data_offsets\)/,
      );
      expect(refusal({ w: f32([2], [-8, 0]) }).message).toMatch(/data_offsets \[-8, 0\] are not \[begin, end\]/);
      expect(refusal({ w: f32([2], [8, 0]) }).message).toMatch(/are not \[begin, end\]/);
      expect(refusal({ w: f32([2], [0, 8, 16]) }).message).toMatch(/are not \[begin, end\]/);
      expect(refusal({ w: { ...f32([2], [0, 8]), extra: 1 } }).message).toMatch(/unknown fields \(extra\)/);
      expect(refusal({ w: { ...f32([2], [0, 8]), dtype: "F31" } }).message).toMatch(/unsupported dtype "F31"/);
    });

    test("issue 16: offsets [-16, 0] no longer return the JSON header as numbers", () => {
      expect(refusal({ w: f32([4], [-16, 0]) }).message).toMatch(/data_offsets \[-16, 0\] are not \[begin, end\]/);
    });

    test("issue 16: overlapping tensors and gaps (forbidden by the format) are refused", () => {
      expect(refusal({ a: f32([2], [0, 8]), b: f32([1], [4, 8]) }, Buffer.alloc(8)).message).toMatch(
        /data_offsets \[4, 8\] overlaps the tensor before it \(which ends at 8\); the format requires tensors to tile the data \(at tensor "b" data_offsets\)/,
      );
      expect(refusal({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, Buffer.alloc(12)).message).toMatch(
        /data_offsets \[8, 12\] leaves bytes 4 to 8 unused; the format requires tensors to tile the data \(at tensor "b" data_offsets\)/,
      );
      expect(refusal({ a: f32([1], [4, 8]) }).message).toMatch(/leaves bytes 0 to 4 unused/);
      expect(refusal({ a: f32([1], [0, 4]) }).message).toMatch(/the tensors cover 4 bytes but the file holds 8 after its header \(trailing data\)/);
      expect(refusal({ a: f32([4], [0, 16]) }).message).toMatch(/the tensors cover 16 bytes but the file holds 8 after its header \(truncated\)/);
    });

    test('issue 16: shapes like [-2, -2], [1.5] and "4" are refused, not returned as if valid', () => {
      expect(refusal({ w: f32([-2, -2], [0, 16]) }, Buffer.alloc(16)).message).toMatch(
        /the shape \[-2, -2\] has the dimension -2; dimensions are non-negative integers/,
      );
      expect(refusal({ w: f32([1.5], [0, 6]) }).message).toMatch(/the shape \[1\.5\] has the dimension 1\.5/);
      expect(refusal({ w: f32("4", [0, 16]) }).message).toMatch(/the shape is "4", not a list of dimensions/);
      expect(refusal({ w: f32([2 ** 40, 2 ** 40], [0, 8]) }).message).toMatch(/has more elements than any array can/);
      expect(refusal({ w: f32([3], [0, 8]) }).message).toMatch(/data_offsets \[0, 8\] hold 8 bytes but shape \[3\] F32 needs 12/);
    });

    test("headers that are not an object of entries, and metadata that is not strings, are refused", () => {
      expect(refusal([1, 2]).message).toMatch(/the header is \[1, 2\], not an object/);
      expect(refusal("null").message).toMatch(/the header is None, not an object/);
      expect(refusal({ __metadata__: { step: 5 } }, Buffer.alloc(0)).message).toMatch(
        /metadata values must be strings, this one is 5 \(at __metadata__ "step"\)/,
      );
      expect(refusal({ __metadata__: "x" }, Buffer.alloc(0)).message).toMatch(/__metadata__ is "x", not an object of strings/);
      const file = path.join(dir, "hugelen.safetensors");
      const bytes = Buffer.alloc(16);
      bytes.writeBigUInt64LE(2n ** 63n);
      writeFileSync(file, bytes);
      expect(() => readSafetensors(file)).toThrow(/not a safetensors file \(header length 9223372036854775808, in a file of 16 bytes\)/);
    });

    test("a zero-size tensor and a __proto__ key are read as data, not as structure", () => {
      const file = path.join(dir, "proto.safetensors");
      writeFileSync(
        file,
        safetensorsBytes(
          '{"__proto__":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}',
          Buffer.alloc(8),
        ),
      );
      const r = readSafetensors(file);
      expect([...r.tensors.keys()]).toEqual(["__proto__", "e"]);
      expect(r.tensors.get("e")!.shape).toEqual([0]);
      expect(Object.getPrototypeOf(r.metadata)).toBe(Object.prototype);
    });
  });
});
