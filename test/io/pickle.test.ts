import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { AdmInputError, loadTorchCheckpoint } from "../../lib/io";
import { unpickle } from "../../lib/io/pickle";
import { f32Bytes, op, stateDictPickle, torchZipBytes, tupleOf, TensorSpec } from "../helpers/pickle-bytes";

const dir = mkdtempSync(path.join(tmpdir(), "adm-pickle-"));
let n = 0;

/** Write a torch.save-shaped zip holding `pkl` (and storages) and return its path. */
function pt(pkl: Buffer, storages: Record<string, Buffer> = {}): string {
  const file = path.join(dir, `c${n++}.pt`);
  writeFileSync(file, torchZipBytes(pkl, storages));
  return file;
}

/** The AdmInputError loading `file` throws (fails the test if it loads or throws anything else). */
function refusal(file: string): AdmInputError {
  try {
    loadTorchCheckpoint(file);
  } catch (e) {
    if (e instanceof AdmInputError) return e;
    throw e;
  }
  throw new Error(`${file} loaded`);
}

const W: TensorSpec = { name: "w", storage: "FloatStorage", key: "0", numel: 6, offset: 0, shape: [2, 3], stride: [3, 1] };
const six = f32Bytes([0, 1, 2, 3, 4, 5]);

describe("restricted unpickler", () => {
  test("the assembler's honest checkpoint loads (the baseline for every refusal below)", () => {
    const sd = loadTorchCheckpoint(pt(stateDictPickle([W, { ...W, name: "v", offset: 2, numel: 6, shape: [4], stride: [1] }]), { 0: six }));
    expect(sd.get("w")).toMatchObject({ dtype: "float32", shape: [2, 3] });
    expect(Array.from(sd.get("w")!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(sd.get("v")!.data as Float32Array)).toEqual([2, 3, 4, 5]);
  });

  test("issue 16: BINSTRING (0x54) with a negative length is refused, not a V8 abort (80 02 54 fb ff ff ff 2e)", () => {
    const e = refusal(pt(Buffer.from([0x80, 0x02, 0x54, 0xfb, 0xff, 0xff, 0xff, 0x2e])));
    expect(e.message).toMatch(/c\d+\.pt: corrupt pickle \(length -5\) \(at archive\/data\.pkl byte 2 \(opcode 0x54\)\)/);
    expect(e.file).toMatch(/\.pt$/);
  });

  test("issue 16: LONG4 (0x8b) with a negative length is refused, not a V8 abort", () => {
    const e = refusal(pt(Buffer.from([0x80, 0x02, 0x8b, 0xfb, 0xff, 0xff, 0xff, 0x2e])));
    expect(e.message).toMatch(/corrupt pickle \(length -5\) \(at archive\/data\.pkl byte 2 \(opcode 0x8b\)/);
  });

  test("lengths past the end, missing STOP and stack underflow are refused by byte", () => {
    expect(refusal(pt(Buffer.from([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x2e]))).message).toMatch(
      /truncated pickle \(2147483647 bytes asked for, 1 left\)/,
    );
    expect(refusal(pt(Buffer.from([0x80, 0x02, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80]))).message).toMatch(/truncated pickle/);
    expect(refusal(pt(Buffer.from([0x80, 0x02, 0x7d]))).message).toMatch(/truncated pickle \(no STOP\) \(at archive\/data\.pkl byte 3/);
    expect(refusal(pt(Buffer.from([0x80, 0x02, 0x2e]))).message).toMatch(/stack underflow/);
    expect(refusal(pt(Buffer.from([0x80, 0x02, 0x68, 0x07, 0x2e]))).message).toMatch(/memo 7 was never stored/);
  });

  test("opcodes outside the state_dict set are refused by name (INST, OBJ, NEWOBJ, EXT1, text STRING)", () => {
    for (const code of [0x69, 0x6f, 0x81, 0x82, 0x53]) {
      const e = refusal(pt(Buffer.concat([op.proto(2), Buffer.from([code]), op.stop()])));
      expect(e.message).toMatch(new RegExp(`unsupported pickle opcode 0x${code.toString(16)}`));
    }
  });

  test("globals off the allow-list are refused before any REDUCE, also through STACK_GLOBAL", () => {
    const stackGlobal = Buffer.concat([op.proto(4), op.str("builtins"), op.str("eval"), Buffer.from([0x93]), op.stop()]);
    expect(refusal(pt(stackGlobal)).message).toMatch(/refusing to unpickle: it references the global builtins\.eval/);
    const ints = Buffer.concat([op.proto(4), op.int(1), op.int(2), Buffer.from([0x93]), op.stop()]);
    expect(refusal(pt(ints)).message).toMatch(/a global named by 1 and 2, not strings/);
  });

  test("issue 16: wrong argument types to the allowed globals are refused, not TypeErrors", () => {
    // _rebuild_tensor_v2 with size "4" (a string where a tuple of ints belongs)
    expect(refusal(pt(stateDictPickle([{ ...W, shape: ["4"] }]), { 0: six })).message).toMatch(/the shape \["4"\] has the dimension "4"/);
    // a stride that does not match the size
    expect(refusal(pt(stateDictPickle([{ ...W, stride: [1] }]), { 0: six })).message).toMatch(/stride \[1\] does not fit size \[2,3\]/);
    // OrderedDict called with a number
    const od = Buffer.concat([op.proto(2), op.global("collections", "OrderedDict"), tupleOf(op.int(5)), op.reduce(), op.stop()]);
    expect(refusal(pt(od)).message).toMatch(/OrderedDict called with \[5\], not a list of \(key, value\) pairs/);
    // REDUCE of a non-global, APPEND to a dict, SETITEMS on a list
    expect(refusal(pt(Buffer.concat([op.proto(2), op.int(1), op.emptyTuple(), op.reduce(), op.stop()]))).message).toMatch(/REDUCE of 1/);
    expect(refusal(pt(Buffer.concat([op.proto(2), op.emptyDict(), op.int(1), op.append(), op.stop()]))).message).toMatch(
      /APPEND to dict\(0 items\), not a list/,
    );
    expect(refusal(pt(Buffer.concat([op.proto(2), op.emptyList(), op.mark(), op.int(1), op.int(2), op.setitems(), op.stop()]))).message).toMatch(
      /SETITEM on \[\], not a dict/,
    );
    // a state_dict whose value is a number, or whose key is not a string
    const dict = (k: Buffer, v: Buffer) => Buffer.concat([op.proto(2), op.emptyDict(), op.mark(), k, v, op.setitems(), op.stop()]);
    expect(refusal(pt(dict(op.str("a"), op.int(3)))).message).toMatch(/entry a is 3, not a tensor/);
    expect(refusal(pt(dict(op.int(3), op.int(3)))).message).toMatch(/the key 3, not a string/);
    // _rebuild_parameter of something that is not a tensor
    const param = Buffer.concat([op.proto(2), op.global("torch._utils", "_rebuild_parameter"), tupleOf(op.int(1)), op.reduce(), op.stop()]);
    expect(refusal(pt(param)).message).toMatch(/_rebuild_parameter of 1, not a tensor/);
  });

  test("issue 16: a persistent id that contains itself (recursion) is refused, not a JSON.stringify crash", () => {
    // pid = []; pid.append(pid); BINPERSID
    const pkl = Buffer.concat([op.proto(2), op.emptyList(), op.binput(0), op.binget(0), op.append(), op.binpersid(), op.stop()]);
    expect(refusal(pt(pkl)).message).toMatch(/unsupported persistent id \[\[\[1 items\]\]\]/);
    // a pid whose storage type is itself a loaded storage
    const inner = Buffer.concat([tupleOf(op.str("storage"), op.global("torch", "FloatStorage"), op.str("0"), op.str("cpu"), op.int(6)), op.binpersid()]);
    const outer = Buffer.concat([op.proto(2), tupleOf(op.str("storage"), inner, op.str("0"), op.str("cpu"), op.int(6)), op.binpersid(), op.stop()]);
    expect(refusal(pt(outer, { 0: six })).message).toMatch(/storage of unsupported type a storage/);
    // storage keys are plain names, numel a count
    expect(refusal(pt(stateDictPickle([{ ...W, key: "../0" }]), { 0: six })).message).toMatch(/storage key "\.\.\/0" is not a plain name/);
    expect(refusal(pt(stateDictPickle([{ ...W, numel: -6 }]), { 0: six })).message).toMatch(/storage 0 has -6 elements/);
  });

  test("a long LONG4 integer decodes in linear time", () => {
    const n = 1 << 20;
    const body = Buffer.alloc(5 + n);
    body[0] = 0x8b;
    body.writeInt32LE(n, 1);
    body[5 + n - 1] = 0x01;
    const t0 = Date.now();
    const v = unpickle(Buffer.concat([op.proto(2), body, op.stop()]), {
      source: "x.pkl",
      member: "x",
      allowedGlobals: new Set(),
      reduce: () => null,
      persistentLoad: () => null,
    });
    expect(v).toBe(1n << BigInt(8 * n - 8));
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
