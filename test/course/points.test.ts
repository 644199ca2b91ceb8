import { initBackend } from "../../lib/backend";
import { pointsDataset, pointsTensor, quantize8bit, scaleToUnitBox } from "../../lib/course/points";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("2-D points as diffusion data", () => {
  it("scales into [-(1 - margin), 1 - margin] keeping the aspect ratio", () => {
    const s = scaleToUnitBox(new Float32Array([0, 0, 4, 1, 2, 0.5]), 0.1);
    expect(s.center).toEqual([2, 0.5]);
    expect(s.scale).toBeCloseTo(0.45);
    expect(Array.from(s.x)).toEqual([-0.9, -0.225, 0.9, 0.225, 0, 0].map((v) => Math.fround(v)));
    expect(() => scaleToUnitBox(new Float32Array(3))).toThrow(/\[n, 2\]/);
  });

  it("quantises to the 256 levels of 8-bit pixels in [-1, 1]", () => {
    const q = quantize8bit(new Float32Array([-2, -1, 0, 0.004, 1, 3]));
    expect(Array.from(q)).toEqual([-1, -1, 1 / 255, 1 / 255, 1, 1].map((v, i) => (i === 2 ? Math.fround(128 / 127.5 - 1) : Math.fround(v))));
    for (const v of quantize8bit(new Float32Array([0.3, -0.77]))) expect(Math.abs((v + 1) * 127.5 - Math.round((v + 1) * 127.5))).toBeLessThan(1e-4);
  });

  it("wraps points as [N, 1, 1, 2] tensors and as an ImageDataset", () => {
    const x = new Float32Array([1, 2, 3, 4]);
    const t = pointsTensor(x);
    expect(t.shape).toEqual([2, 1, 1, 2]);
    t.dispose();
    const d = pointsDataset(x);
    expect(d.n).toBe(2);
    expect(d.shape).toEqual([1, 1, 2]);
    expect(d.labels).toHaveLength(2);
    expect(() => pointsTensor(new Float32Array(3))).toThrow(/whole number/);
  });
});
