import { computeDiffusionTables, getNamedBetaSchedule } from "../../lib/diffusion";
import { diffusePoints, pathTraces, recordTimes, simulateChainMoments } from "../../lib/course/forward-chain";

describe("forward chain, step by step", () => {
  it("records t = 0, every, ..., T with T always included", () => {
    expect(recordTimes(10, { every: 4 })).toEqual([0, 4, 8, 10]);
    expect(recordTimes(3)).toEqual([0, 1, 2, 3]);
    expect(() => recordTimes(3, { every: 0 })).toThrow(/positive integer/);
  });

  it("matches the closed form q(x_t | x_0): mean sqrt(alphaBar_t) x_0, variance 1 - alphaBar_t (t steps -> table index t-1)", () => {
    const betas = getNamedBetaSchedule("linear", 100);
    const tab = computeDiffusionTables(betas);
    const m = simulateChainMoments(betas, [1.5, -0.5], { chains: 20000, seed: 3, every: 10 });
    expect(m.t).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(m.mean[0][0]).toBe(1.5);
    expect(m.variance[0][0]).toBe(0);
    for (let k = 1; k < m.t.length; k++) {
      const ab = tab.alphasCumprod[m.t[k] - 1];
      for (const [j, x0] of [1.5, -0.5].entries()) {
        const sd = Math.sqrt(1 - ab);
        // 20000 chains: the mean is within 5 standard errors, the variance within 5%
        expect(Math.abs(m.mean[j][k] - Math.sqrt(ab) * x0)).toBeLessThan((5 * sd) / Math.sqrt(20000));
        expect(Math.abs(m.variance[j][k] / (1 - ab) - 1)).toBeLessThan(0.05);
      }
    }
  });

  it("diffuses 2-D points reproducibly towards N(0, I) and draws their paths", () => {
    const pts = new Float32Array([1, 1, -1, 0.5, 0.2, -0.8]);
    const betas = getNamedBetaSchedule("cosine", 200);
    const a = diffusePoints(betas, pts, { seed: 7, every: 50 });
    const b = diffusePoints(betas, pts, { seed: 7, every: 50 });
    expect(a.t).toEqual([0, 50, 100, 150, 200]);
    expect(Array.from(a.x[0])).toEqual(Array.from(pts));
    expect(Array.from(a.x[4])).toEqual(Array.from(b.x[4]));
    const traces = pathTraces(a, { colorOf: (i) => (i === 0 ? "red" : "blue"), legend: true }) as {
      x: number[];
      mode: string;
      name?: string;
      showlegend: boolean;
    }[];
    expect(traces).toHaveLength(3 + 2);
    expect(traces[0].x).toHaveLength(5);
    expect(traces[0].mode).toBe("lines");
    expect(traces[0].showlegend).toBe(false);
    expect(traces.slice(3).map((t) => [t.mode, t.name, t.showlegend])).toEqual([
      ["markers", "start (t = 0)", true],
      ["markers", "end (t = 200)", true],
    ]);
    expect(traces[4].x).toEqual(
      Array.from(
        a.x[4].filter((_, k) => k % 2 === 0),
        (v) => Math.round(v * 1e4) / 1e4,
      ),
    );
  });
});
