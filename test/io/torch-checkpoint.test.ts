import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { AdmInputError, loadTorchCheckpoint, openTorchCheckpoint, TensorRecord } from "../../lib/io";
import { writeStoredZip } from "../../lib/io/zip-writer";
import { ZipReader } from "../../lib/io/zip-reader";
import { peakGrowthMiB, thrown } from "../helpers/memory";
import { f32Bytes, stateDictPickle, torchZipBytes, TensorSpec } from "../helpers/pickle-bytes";

const FIX = path.resolve(__dirname, "../fixtures/io");

function values(r: TensorRecord): number[] {
  return Array.from(r.data as ArrayLike<number | bigint>, Number);
}

const ROOT = path.resolve(__dirname, "../..");

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

  describe("hostile and damaged checkpoints", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adm-pt-"));
    const W: TensorSpec = { name: "w", storage: "FloatStorage", key: "0", numel: 6, offset: 0, shape: [6], stride: [1] };
    const write = (name: string, bytes: Buffer) => {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      return file;
    };

    test("issue 16: a 643-byte .pt claiming 5e8 floats is refused before it allocates", () => {
      const file = write("claims.pt", torchZipBytes(stateDictPickle([{ ...W, numel: 5e8, shape: [5e8] }]), { 0: f32Bytes([1, 2, 3, 4, 5, 6]) }));
      expect(readFileSync(file).length).toBeLessThan(1000);
      let e: Error | undefined;
      expect(peakGrowthMiB(() => (e = thrown(() => loadTorchCheckpoint(file))))).toBeLessThan(64);
      expect(e).toBeInstanceOf(AdmInputError);
      expect(e!.message).toMatch(/claims\.pt: storage 0 claims 500000000 float32 elements \(2000000000 bytes\) but its member holds 24 bytes \(at tensor w\)/);
    });

    test("issue 16: a negative storage offset is refused (it used to read the bytes before the storage)", () => {
      const file = write("negative.pt", torchZipBytes(stateDictPickle([{ ...W, offset: -2, shape: [4] }]), { 0: f32Bytes([1, 2, 3, 4, 5, 6]) }));
      expect(thrown(() => loadTorchCheckpoint(file)).message).toMatch(/negative\.pt: _rebuild_tensor_v2: storage offset -2 is not a non-negative integer/);
    });

    test("views past their storage, missing storages and shape products beyond 2^53 are refused", () => {
      const six = { 0: f32Bytes([1, 2, 3, 4, 5, 6]) };
      expect(thrown(() => loadTorchCheckpoint(write("past.pt", torchZipBytes(stateDictPickle([{ ...W, offset: 3, shape: [4] }]), six)))).message).toMatch(
        /tensor w runs past its storage \(3 \+ 4 > 6\)/,
      );
      expect(thrown(() => loadTorchCheckpoint(write("missing.pt", torchZipBytes(stateDictPickle([{ ...W, key: "7" }]), six)))).message).toMatch(
        /storage archive\/data\/7 of tensor w is missing/,
      );
      const huge = { ...W, shape: [2 ** 30, 2 ** 30, 2 ** 30], stride: [2 ** 60, 2 ** 30, 1] };
      expect(thrown(() => loadTorchCheckpoint(write("huge.pt", torchZipBytes(stateDictPickle([huge]), six)))).message).toMatch(
        /has more elements than any array can/,
      );
    });

    test("every single-bit flip in dtypes.pt's tensor bytes is refused by the member's CRC-32", () => {
      const bytes = readFileSync(path.join(FIX, "dtypes.pt"));
      const zip = new ZipReader(path.join(FIX, "dtypes.pt"));
      const storage = [...zip.entries.values()].find((e) => /\/data\/\d+$/.test(e.name) && e.size >= 16)!;
      zip.close();
      for (let bit = 0; bit < 32; bit++) {
        const flipped = Buffer.from(bytes);
        flipped[storage.dataOffset + (bit >> 3)] ^= 1 << (bit & 7);
        const e = thrown(() => loadTorchCheckpoint(write(`flip${bit}.pt`, flipped)));
        expect(e).toBeInstanceOf(AdmInputError);
        expect(e.message).toMatch(/CRC-32 mismatch/);
      }
    });
  });
});

describe("openTorchCheckpoint: one tensor at a time", () => {
  test("lists names, dtypes and shapes before reading, and reads each tensor as loadTorchCheckpoint does", () => {
    const file = path.join(FIX, "dtypes.pt");
    const all = loadTorchCheckpoint(file);
    const reader = openTorchCheckpoint(file);
    expect([...reader.tensors.keys()]).toEqual([...all.keys()]);
    expect(reader.tensors.get("f16")).toEqual({ dtype: "float32", shape: [4] });
    for (const [name, rec] of all) expect(values(reader.read(name))).toEqual(values(rec));
    const lazy = reader.lazyStateDict();
    const first = lazy.get("view")!.data;
    expect(values(lazy.get("view")!)).toEqual([3, 4, 5, 6]);
    // nothing is cached: every use of data reads the file again
    expect(lazy.get("view")!.data).not.toBe(first);
    expect(() => reader.read("nope")).toThrow(/no tensor nope in this checkpoint/);
    reader.close();
    expect(() => lazy.get("f32")!.data).toThrow(/the checkpoint was closed; open it again to read f32/);
  });

  test("a bad tensor record is refused when the file is opened, before any tensor is read", () => {
    const pkl = stateDictPickle([{ name: "w", storage: "FloatStorage", key: "0", numel: 4, offset: 2, shape: [4], stride: [1] }]);
    const dir = mkdtempSync(path.join(tmpdir(), "adm-open-"));
    const file = path.join(dir, "past.pt");
    writeFileSync(file, torchZipBytes(pkl, { "0": f32Bytes([1, 2, 3, 4]) }));
    expect(thrown(() => openTorchCheckpoint(file))).toBeInstanceOf(AdmInputError);
    expect(() => openTorchCheckpoint(file)).toThrow(/tensor w runs past its storage/);
    unlinkSync(file);
  });

  test("streaming a 256 MiB checkpoint tensor by tensor stays far below its size; loading it whole does not", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adm-stream-"));
    const file = path.join(dir, "big.pt");
    const n = 4 * 2 ** 20; // 16 MiB per tensor, 16 tensors
    const specs: TensorSpec[] = Array.from({ length: 16 }, (_, i) => ({
      name: `w${i}`,
      storage: "FloatStorage",
      key: String(i),
      numel: n,
      offset: 0,
      shape: [n],
      stride: [1],
    }));
    const chunk = new Uint8Array(new Float32Array(n).fill(0.5).buffer);
    writeStoredZip(file, [
      { name: "archive/data.pkl", chunks: [stateDictPickle(specs)] },
      { name: "archive/byteorder", chunks: [Buffer.from("little")] },
      ...specs.map((s) => ({ name: `archive/data/${s.key}`, chunks: [chunk] })),
    ]);
    // each mode in its own process, counting the array buffers alive (the whole file: 256 MiB of them)
    const probe = (mode: string): { growth: number; kept: number } => {
      const r = spawnSync(process.execPath, ["--expose-gc", path.join(ROOT, "scripts/run-ts.js"), path.join(__dirname, "torch-stream-probe.ts"), file, mode], {
        encoding: "utf8",
        timeout: 120000,
      });
      if (r.status !== 0) throw new Error(`probe ${mode} failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split("\n").pop() as string);
    };
    const streamed = probe("stream");
    const whole = probe("whole");
    console.log(`array buffers alive at most: streamed ${streamed.growth.toFixed(0)} MiB, loaded whole ${whole.growth.toFixed(0)} MiB (file 256 MiB)`);
    expect(streamed.kept).toBe(16);
    expect(whole.kept).toBe(16);
    expect(streamed.growth).toBeLessThan(96);
    expect(whole.growth).toBeGreaterThan(160);
    unlinkSync(file);
  });
});
