import { ProtoWriter } from "../../lib/engine/protobuf";

const bytes = (w: ProtoWriter) => Array.from(w.finish());

describe("protobuf wire format, hand-computed (protobuf.dev encoding guide)", () => {
  test("varints: 7-bit groups, low group first, continuation bit 0x80", () => {
    expect(bytes(new ProtoWriter().varint(0))).toEqual([0x00]);
    expect(bytes(new ProtoWriter().varint(1))).toEqual([0x01]);
    expect(bytes(new ProtoWriter().varint(127))).toEqual([0x7f]);
    expect(bytes(new ProtoWriter().varint(128))).toEqual([0x80, 0x01]);
    // 300 = 0b10_0101100 -> 0xAC 0x02, the guide's example
    expect(bytes(new ProtoWriter().varint(300))).toEqual([0xac, 0x02]);
    // 2^35 + 1: six groups, above 32 bits
    expect(bytes(new ProtoWriter().varint(2 ** 35 + 1))).toEqual([0x81, 0x80, 0x80, 0x80, 0x80, 0x01]);
    // negative int64: two's complement over 64 bits, always 10 bytes
    expect(bytes(new ProtoWriter().varint(-1))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(bytes(new ProtoWriter().varint(-2))).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => new ProtoWriter().varint(2 ** 60)).toThrow(/not a safe integer/);
  });

  test("field keys and values: (field << 3) | wire type", () => {
    // field 1 varint 150: 08 96 01 (the guide's first example)
    expect(bytes(new ProtoWriter().intField(1, 150))).toEqual([0x08, 0x96, 0x01]);
    // field 2 string "testing": 12 07 74 65 73 74 69 6e 67
    expect(bytes(new ProtoWriter().stringField(2, "testing"))).toEqual([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
    // field 20 varint: key 160 = a0 01
    expect(bytes(new ProtoWriter().intField(20, 2))).toEqual([0xa0, 0x01, 0x02]);
    // field 2 float 1.0: key 0x15 (wire type 5), then 00 00 80 3f little-endian
    expect(bytes(new ProtoWriter().floatField(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    // field 3 embedded message {1: 150}: 1a 03 08 96 01
    expect(bytes(new ProtoWriter().messageField(3, new ProtoWriter().intField(1, 150)))).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
    // field 4 packed [3, 270, 86942]: 22 06 03 8e 02 9e a7 05 (the guide's packed example)
    expect(bytes(new ProtoWriter().packedIntsField(4, [3, 270, 86942]))).toEqual([0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]);
  });

  test("large byte fields are referenced until finish, then copied once in order", () => {
    const data = new Uint8Array([1, 2, 3]);
    const inner = new ProtoWriter().bytesField(9, data).intField(1, 5);
    const w = new ProtoWriter().intField(1, 7).messageField(2, inner).stringField(3, "é");
    expect(w.length).toBe(2 + 2 + 5 + 2 + 4);
    data[0] = 42;
    expect(bytes(w)).toEqual([0x08, 0x07, 0x12, 0x07, 0x4a, 0x03, 42, 2, 3, 0x08, 0x05, 0x1a, 0x02, 0xc3, 0xa9]);
  });
});
