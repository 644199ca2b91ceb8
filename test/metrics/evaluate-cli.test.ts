import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { writeReferenceBatch } from "../../lib/metrics/reference-batch";
import { main } from "../../scripts/evaluate";

describe("scripts/evaluate.ts", () => {
  const dir = mkdtempSync(join(tmpdir(), "evaluate-"));
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  const err = jest.spyOn(console, "error").mockImplementation(() => undefined);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    log.mockRestore();
    err.mockRestore();
  });
  let state = 9;
  const bytes = (n: number, scale: number) => Uint8Array.from({ length: n }, () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24) % scale);
  const samples = join(dir, "samples.npz");
  const reference = join(dir, "ref.npz");
  writeReferenceBatch(samples, { images: { data: bytes(80 * 8 * 8, 256), shape: [80, 8, 8, 1] } });
  writeReferenceBatch(reference, { images: { data: bytes(90 * 8 * 8, 64), shape: [90, 8, 8, 1] } });

  test("prints the results table for pixel features", async () => {
    await main([samples, reference, "--features", "pixels", "--batch", "32", "--name", "noise"]);
    const table = String(log.mock.calls[log.mock.calls.length - 1][0]).split("\n");
    expect(table[0]).toBe("| Model | FID | sFID | Prec | Rec |");
    const cells = table[2].split("|").map((c) => c.trim());
    expect(cells[1]).toBe("noise");
    expect(Number(cells[2])).toBeGreaterThan(0);
    expect(cells[3]).toBe("-");
  });

  test("--help prints the usage and flags", async () => {
    await main(["--help"]);
    expect(String(log.mock.calls[log.mock.calls.length - 1][0])).toMatch(/^usage: evaluate SAMPLES\.npz REF\.npz\|fashion-mnist[\s\S]*--batch INTEGER/);
  });

  test("bad flags and files are errors that say what to change", async () => {
    await expect(main([samples])).rejects.toThrow(/this command takes 2 arguments, got 1/);
    await expect(main([samples, reference, "--batch", "0"])).rejects.toThrow('--batch must be an integer >= 1 and <= 4096, got "0"');
    await expect(main([samples, reference, "--limit", "1.5"])).rejects.toThrow('--limit must be an integer >= 0, got "1.5"');
    await expect(main([samples, reference, "extra"])).rejects.toThrow(/this command takes 2 arguments, got 3/);
    await expect(main([samples, reference, "--colour", "red"])).rejects.toThrow(/unknown flag --colour/);
    await expect(main([join(dir, "missing.npz"), reference])).rejects.toThrow(/missing\.npz does not exist/);
    await expect(main([samples, reference, "--features", join(dir, "none.safetensors")])).rejects.toThrow(/none\.safetensors does not exist/);
    const saved = process.env.ADM_INCEPTION_WEIGHTS;
    delete process.env.ADM_INCEPTION_WEIGHTS;
    await expect(main([samples, reference])).rejects.toThrow(/needs the FID InceptionV3 weights/);
    if (saved !== undefined) process.env.ADM_INCEPTION_WEIGHTS = saved;
  });

  test("sets of another shape or channel count, or too few images, are refused before any feature is computed (7x5 against 32x32 printed a FID)", async () => {
    const odd = join(dir, "odd.npz"),
      ref32 = join(dir, "ref32.npz"),
      rgb = join(dir, "rgb.npz"),
      few = join(dir, "few.npz");
    writeReferenceBatch(odd, { images: { data: bytes(20 * 7 * 5, 256), shape: [20, 7, 5, 1] } });
    writeReferenceBatch(ref32, { images: { data: bytes(20 * 32 * 32, 256), shape: [20, 32, 32, 1] } });
    writeReferenceBatch(rgb, { images: { data: bytes(20 * 8 * 8 * 3, 256), shape: [20, 8, 8, 3] } });
    writeReferenceBatch(few, { images: { data: bytes(3 * 8 * 8, 256), shape: [3, 8, 8, 1] } });
    await expect(main([odd, ref32, "--features", "pixels"])).rejects.toThrow(
      /odd\.npz holds 7x5x1 images but .*ref32\.npz holds 32x32x1: metrics compare images of one shape and channel count/,
    );
    await expect(main([rgb, reference, "--features", "pixels"])).rejects.toThrow(/rgb\.npz holds 8x8x3 images but .*ref\.npz holds 8x8x1/);
    await expect(main([few, reference, "--features", "pixels"])).rejects.toThrow(/few\.npz holds 3 images; the metrics need at least 4/);
    // one size scaled to another of the same shape is fine (32x32 course samples against the 28x28 Fashion-MNIST test set)
    await main([ref32, reference, "--features", "pixels", "--name", "scaled"]);
    expect(String(log.mock.calls[log.mock.calls.length - 1][0])).toContain("| scaled |");
  });
});
