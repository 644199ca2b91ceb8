/**
 * A small pickle assembler for loader tests: the opcodes torch.save writes for a state_dict, so a
 * test can build an honest checkpoint or change one field (a storage offset, a numel, an argument
 * type) and see the reader refuse it. `torchZipBytes` wraps a pickle and its storages the way
 * torch.save lays them out (`archive/data.pkl`, `archive/data/<key>`).
 */
import { Member, zipBytes } from "./format-bytes";

const b = (...xs: number[]) => Buffer.from(xs);

export const op = {
  proto: (v = 2) => b(0x80, v),
  mark: () => b(0x28),
  stop: () => b(0x2e),
  emptyDict: () => b(0x7d),
  emptyTuple: () => b(0x29),
  emptyList: () => b(0x5d),
  tuple: () => b(0x74),
  tuple1: () => b(0x85),
  setitems: () => b(0x75),
  append: () => b(0x61),
  reduce: () => b(0x52),
  binpersid: () => b(0x51),
  newFalse: () => b(0x89),
  none: () => b(0x4e),
  binput: (i: number) => b(0x71, i),
  binget: (i: number) => b(0x68, i),
  global: (module: string, name: string) => Buffer.from(`c${module}\n${name}\n`, "latin1"),
  str(s: string) {
    const u = Buffer.from(s, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32LE(u.length);
    return Buffer.concat([b(0x58), len, u]);
  },
  /** BININT (signed 32-bit) or LONG1 for anything larger */
  int(n: number) {
    if (n >= -(2 ** 31) && n < 2 ** 31) {
      const v = Buffer.alloc(5);
      v[0] = 0x4a;
      v.writeInt32LE(n, 1);
      return v;
    }
    const v = Buffer.alloc(10);
    v[0] = 0x8a;
    v[1] = 8;
    v.writeBigInt64LE(BigInt(n), 2);
    return v;
  },
};

/** `(x0, x1, ...)` from already-assembled pieces. */
export function tupleOf(...items: Buffer[]): Buffer {
  return Buffer.concat([op.mark(), ...items, op.tuple()]);
}

export interface TensorSpec {
  name: string;
  /** torch storage class, e.g. "FloatStorage" */
  storage: string;
  key: string;
  numel: number;
  offset: number;
  shape: unknown[];
  stride: unknown[];
}

/** The pickle torch.save writes for an OrderedDict of tensors (protocol 2, no memo). */
export function stateDictPickle(tensors: TensorSpec[]): Buffer {
  const ints = (xs: unknown[]) => tupleOf(...xs.map((x) => (typeof x === "number" ? op.int(x) : op.str(String(x)))));
  const entry = (t: TensorSpec) =>
    Buffer.concat([
      op.str(t.name),
      op.global("torch._utils", "_rebuild_tensor_v2"),
      tupleOf(
        Buffer.concat([tupleOf(op.str("storage"), op.global("torch", t.storage), op.str(t.key), op.str("cpu"), op.int(t.numel)), op.binpersid()]),
        op.int(t.offset),
        ints(t.shape),
        ints(t.stride),
        op.newFalse(),
        Buffer.concat([op.global("collections", "OrderedDict"), op.emptyTuple(), op.reduce()]),
      ),
      op.reduce(),
    ]);
  return Buffer.concat([
    op.proto(2),
    op.global("collections", "OrderedDict"),
    op.emptyTuple(),
    op.reduce(),
    op.mark(),
    ...tensors.map(entry),
    op.setitems(),
    op.stop(),
  ]);
}

/** A torch.save-shaped zip: `archive/data.pkl`, `archive/byteorder`, and one member per storage. */
export function torchZipBytes(pkl: Buffer, storages: Record<string, Buffer>, extra: Member[] = []): Buffer {
  return zipBytes([
    { name: "archive/data.pkl", data: pkl },
    { name: "archive/byteorder", data: Buffer.from("little") },
    ...Object.entries(storages).map(([key, data]) => ({ name: `archive/data/${key}`, data })),
    { name: "archive/version", data: Buffer.from("3\n") },
    ...extra,
  ]);
}

/** Float32 little-endian bytes of `values`. */
export function f32Bytes(values: number[]): Buffer {
  return Buffer.from(new Float32Array(values).buffer);
}
