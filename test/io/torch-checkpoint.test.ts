import { existsSync, unlinkSync } from "fs";
import * as path from "path";
import { loadTorchCheckpoint, TensorRecord } from "../../lib/io";

const FIX = path.resolve(__dirname, "../fixtures/io");

function values(r: TensorRecord): number[] {
  return Array.from(r.data as ArrayLike<number | bigint>, Number);
}

describe("loadTorchCheckpoint", () => {
  const sd = loadTorchCheckpoint(path.join(FIX, "dtypes.pt"));

  test("keeps state_dict order and reads every dtype, upcasting float16 and bfloat16 to float32", () => {
    expect([...sd.keys()]).toEqual(["f32", "f16", "bf16", "f64", "i64", "i32", "param", "base", "view"]);
    expect(sd.get("f32")).toMatchObject({ dtype: "float32", shape: [2, 3] });
    expect(values(sd.get("f32")!)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(sd.get("f16")!.dtype).toBe("float32");
    expect(values(sd.get("f16")!)).toEqual([-1.5, -0.5, 0.5, 1.5]);
    expect(sd.get("bf16")!.dtype).toBe("float32");
    expect(values(sd.get("bf16")!)).toEqual([1, 1.25, 1.5]);
    expect(sd.get("f64")!.dtype).toBe("float64");
    expect(values(sd.get("f64")!)).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(sd.get("i64")!.dtype).toBe("int64");
    expect(Array.from(sd.get("i64")!.data as BigInt64Array)).toEqual([-2n, 0n, 2n ** 40n]);
    expect(sd.get("i32")).toMatchObject({ dtype: "int32", shape: [2] });
    expect(values(sd.get("i32")!)).toEqual([7, -7]);
  });

  test("unwraps nn.Parameter and honours storage offsets of views", () => {
    expect(sd.get("param")).toMatchObject({ shape: [2, 1, 1, 1] });
    expect(values(sd.get("param")!)).toEqual([1, 1]);
    expect(values(sd.get("view")!)).toEqual([3, 4, 5, 6]);
    expect(values(sd.get("base")!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("refuses non-contiguous tensors with a message saying what to do", () => {
    expect(() => loadTorchCheckpoint(path.join(FIX, "noncontiguous.pt"))).toThrow(/tensor t is not contiguous.*stride \[1,3\].*\.contiguous\(\)/);
  });

  test("rejects a malicious pickle by naming its global, and runs nothing", () => {
    const marker = "/tmp/adm-ts-malicious-pickle-ran";
    if (existsSync(marker)) unlinkSync(marker);
    expect(() => loadTorchCheckpoint(path.join(FIX, "malicious.pt"))).toThrow(/malicious\.pt: refusing to unpickle: it references the global posix\.system/);
    expect(existsSync(marker)).toBe(false);
  });

  test("says clearly when a file is not a torch.save zip", () => {
    expect(() => loadTorchCheckpoint(path.join(FIX, "single.npy"))).toThrow(/single\.npy: not a zip file/);
  });
});
