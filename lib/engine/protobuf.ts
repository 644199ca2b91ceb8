/**
 * The protobuf wire format, write side only, as much as ONNX files need: varints (int32, int64,
 * enums), 32-bit floats, length-delimited strings, bytes and sub-messages, packed repeated int64s.
 * Large byte fields (tensor data) are kept by reference and copied once, by `finish`.
 * https://protobuf.dev/programming-guides/encoding/
 */

/** Wire types of the field key `(field << 3) | wireType`. */
export const WIRE = { varint: 0, i64: 1, len: 2, i32: 5 } as const;

export class ProtoWriter {
  private parts: Uint8Array[] = [];
  private pending: number[] = [];
  private flushedBytes = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.flushedBytes + this.pending.length;
  }

  /** A base-128 varint, low 7-bit groups first; negative values as 64-bit two's complement (10 bytes). */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error(`protobuf varint: ${value} is not a safe integer`);
    while (v >= 0x80n) {
      this.pending.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.pending.push(Number(v));
    return this;
  }

  key(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  /** int32, int64, uint64 and enum fields. */
  intField(field: number, value: number | bigint): this {
    return this.key(field, WIRE.varint).varint(value);
  }

  /** A 32-bit float field, little-endian. */
  floatField(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.key(field, WIRE.i32);
    for (const x of b) this.pending.push(x);
    return this;
  }

  /** A UTF-8 string field. */
  stringField(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  /** A bytes field; the data is referenced, not copied, until `finish`. */
  bytesField(field: number, data: Uint8Array): this {
    this.key(field, WIRE.len).varint(data.byteLength);
    this.append(data);
    return this;
  }

  /** An embedded message field. */
  messageField(field: number, message: ProtoWriter): this {
    this.key(field, WIRE.len).varint(message.length);
    message.flush();
    for (const p of message.parts) this.append(p);
    return this;
  }

  /** A packed repeated varint field (repeated int64 in proto3 style; proto2 parsers accept it too). */
  packedIntsField(field: number, values: readonly number[]): this {
    const body = new ProtoWriter();
    for (const v of values) body.varint(v);
    return this.messageField(field, body);
  }

  /** All bytes, in one buffer. */
  finish(): Uint8Array {
    this.flush();
    if (this.parts.length === 1) return this.parts[0];
    const out = new Uint8Array(this.flushedBytes);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  private append(data: Uint8Array): void {
    this.flush();
    this.parts.push(data);
    this.flushedBytes += data.byteLength;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Uint8Array.from(this.pending));
    this.flushedBytes += this.pending.length;
    this.pending = [];
  }
}
