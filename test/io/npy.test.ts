import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { AdmInputError, readNpy, readNpz, writeNpy, writeNpz, TensorRecord } from "../../lib/io";
import { parseNpy } from "../../lib/io/npy";
import { thrown } from "../helpers/memory";
import { npyBytes } from "../helpers/format-bytes";

const FIX = path.resolve(__dirname, "../fixtures/io");

function values(r: TensorRecord): number[] {
  return Array.from(r.data as ArrayLike<number | bigint>, Number);
}

describe("npy / npz", () => {
  test("reads numpy's savez_compressed (DEFLATED) members of every dtype", () => {
    const z = readNpz(path.join(FIX, "arrays.npz"));
    expect([...z.keys()].sort()).toEqual(["b1", "f2", "f4", "f8", "i8", "scalar", "u1"]);
    expect(z.get("f4")).toMatchObject({ dtype: "float32", shape: [3, 4] });
    expect(values(z.get("f4")!)).toEqual(Array.from(new Float32Array(Array.from({ length: 12 }, (_, i) => i / 7))));
    expect(values(z.get("f8")!)).toEqual([Math.PI, -Math.E]);
    expect(z.get("f2")!.dtype).toBe("float16");
    expect(Array.from(z.get("f2")!.data as Uint16Array)).toEqual([0x3800, 0xc000, 0x7bff]);
    expect(Array.from(z.get("i8")!.data as BigInt64Array)).toEqual([1n, -1n, 2n ** 50n, -(2n ** 50n)]);
    expect(values(z.get("u1")!)).toEqual([0, 1, 2, 3, 4]);
    expect(z.get("b1")).toMatchObject({ dtype: "bool", shape: [3] });
    expect(values(z.get("b1")!)).toEqual([1, 0, 1]);
    expect(z.get("scalar")).toMatchObject({ shape: [] });
    expect(values(z.get("scalar")!)).toEqual([3.25]);
  });

  test("reads np.save output", () => {
    const a = readNpy(path.join(FIX, "single.npy"));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(values(a)[0]).toBe(-5);
    expect(values(a)[23]).toBe(18);
  });

  test("writeNpy writes the bytes np.save writes", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adm-npy-"));
    const file = path.join(FIX, "single.npy");
    writeNpy(path.join(dir, "single.npy"), readNpy(file));
    expect(readFileSync(path.join(dir, "single.npy"))).toEqual(readFileSync(file));
  });

  test("writeNpy / writeNpz round-trip with 64-byte aligned data", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adm-npy-"));
    const a: TensorRecord = { dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
    const b: TensorRecord = { dtype: "int64", shape: [3], data: new BigInt64Array([5n, -6n, 7n]) };
    writeNpy(path.join(dir, "a.npy"), a);
    const bytes = readFileSync(path.join(dir, "a.npy"));
    expect((bytes.length - 16) % 64).toBe(0);
    expect(readNpy(path.join(dir, "a.npy"))).toEqual(a);
    writeNpz(path.join(dir, "ab.npz"), { a, b });
    const z = readNpz(path.join(dir, "ab.npz"));
    expect(z.get("a")).toEqual(a);
    expect(z.get("b")).toEqual(b);
    // the archive is a valid zip with correct CRCs (unzip -t checks them) when unzip is installed
    let tested = "";
    try {
      tested = execFileSync("unzip", ["-t", path.join(dir, "ab.npz")]).toString();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (tested) expect(tested).toMatch(/No errors detected/);
  });

  test("rejects Fortran-order arrays and unknown dtypes by name", () => {
    const header = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }";
    const { parseNpy } = jest.requireActual("../../lib/io/npy") as typeof import("../../lib/io/npy");
    const buf = Buffer.concat([
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]),
      Buffer.from([header.length + 1, 0]),
      Buffer.from(header + "\n"),
      Buffer.alloc(16),
    ]);
    expect(() => parseNpy(buf, "f.npy")).toThrow(/f\.npy: Fortran-order/);
    const buf2 = Buffer.from(buf.toString("latin1").replace("<f4", "<c8").replace("True", "False"), "latin1");
    expect(() => parseNpy(buf2, "g.npy")).toThrow(/g\.npy: dtype <c8 is not supported/);
  });

  describe("hostile and damaged headers", () => {
    const f4 = (n: number) => Buffer.from(new Float32Array(Array.from({ length: n }, (_, i) => i + 0.5)).buffer);
    const refusal = (bytes: Buffer): AdmInputError => {
      const e = thrown(() => parseNpy(bytes, "x.npy"));
      if (!(e instanceof AdmInputError)) throw e;
      expect(e.file).toBe("x.npy");
      return e;
    };

    test("issue 16: a decoy 'descr' inside another value does not win: the header is parsed as a dict", () => {
      // the old pattern matcher read the first "'descr': '...'" in the text, here inside a string
      const decoy = "{'fortran_order': False, 'shape': (2,), 'descr': \"<f4\", 'note': \"'descr': '<i8'\"}";
      expect(refusal(npyBytes(decoy, f4(2))).message).toMatch(
        /x\.npy: the header has the keys \[descr, fortran_order, note, shape\], not exactly \[descr, fortran_order, shape\]/,
      );
      const dup = "{'descr': '<i8', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}";
      expect(refusal(npyBytes(dup, f4(2))).message).toMatch(/the header is not a Python literal \(duplicate key "descr"/);
      // a valid header in another key order and quote style reads by structure, as numpy reads it
      const r = parseNpy(npyBytes('{"shape": (2,), "fortran_order": False, "descr": "<f4"}', f4(2)), "y.npy");
      expect(r).toMatchObject({ dtype: "float32", shape: [2] });
      expect(Array.from(r.data as Float32Array)).toEqual([0.5, 1.5]);
      // Python 2's long literals (numpy 1.x on Python 2 wrote them) still read
      expect(parseNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1L, 2L), }", f4(2)), "z.npy").shape).toEqual([1, 2]);
    });

    test("issue 16: npy v2 headers shorter than their preamble, or longer than the file, are refused", () => {
      const v2 = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4(2), 2);
      expect(refusal(v2.subarray(0, 11)).message).toMatch(/x\.npy: the file ends inside the 12-byte preamble of format 2\.0 \(at header length\)/);
      expect(refusal(v2.subarray(0, 30)).message).toMatch(/the \d+-byte header runs past the end of the 30-byte file/);
      const long = Buffer.from(v2);
      long.writeUInt32LE(0xffffffff, 8);
      expect(refusal(long).message).toMatch(/a 4294967295-byte header/);
      expect(parseNpy(v2, "v2.npy").shape).toEqual([2]);
      expect(refusal(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0, 0, 0])).message).toMatch(/format version 9\.0/);
    });

    test("bad shapes and data sizes are refused before anything is allocated", () => {
      const h = (shape: string) => `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
      expect(refusal(npyBytes(h("(-2, -2)"), f4(4))).message).toMatch(/the shape \[-2, -2\] has the dimension -2/);
      expect(refusal(npyBytes(h("(1.5,)"), f4(2))).message).toMatch(/not a Python literal/);
      expect(refusal(npyBytes(h("[2]"), f4(2))).message).toMatch(/the shape is \[2\], not a tuple/);
      expect(refusal(npyBytes(h("'4'"), f4(4))).message).toMatch(/the shape is "4", not a tuple/);
      expect(refusal(npyBytes(h("(100000, 100000, 100000)"), f4(2))).message).toMatch(/needs 4000000000000000 bytes, the file holds 8 \(truncated\)/);
      expect(refusal(npyBytes(h("(2,)"), f4(3))).message).toMatch(/needs 8 bytes, the file holds 12 \(trailing data\)/);
      expect(refusal(npyBytes("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", f4(2))).message).toMatch(/fortran_order is 0, not True or False/);
      expect(refusal(npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", f4(2))).message).toMatch(/structured arrays are not/);
      expect(refusal(npyBytes("(".repeat(40) + ")".repeat(40), f4(2))).message).toMatch(/nesting too deep/);
      expect(refusal(npyBytes("__import__('os').system('true')", f4(2))).message).toMatch(/not a Python literal \(expected a literal/);
    });

    test("readNpy names a missing file", () => {
      expect(() => readNpy("/nonexistent/a.npy")).toThrow(/\/nonexistent\/a\.npy: cannot read the file \(ENOENT\) \(at open\); check the path/);
    });
  });
});
