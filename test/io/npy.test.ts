import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { readNpy, readNpz, writeNpy, writeNpz, TensorRecord } from "../../lib/io";

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
    const buf = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]), Buffer.from([header.length + 1, 0]), Buffer.from(header + "\n"), Buffer.alloc(16)]);
    expect(() => parseNpy(buf, "f.npy")).toThrow(/f\.npy: Fortran-order/);
    const buf2 = Buffer.from(buf.toString("latin1").replace("<f4", "<c8").replace("True", "False"), "latin1");
    expect(() => parseNpy(buf2, "g.npy")).toThrow(/g\.npy: dtype <c8 is not supported/);
  });
});
