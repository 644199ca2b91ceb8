import {
  computeDiffusionTables,
  createGaussianDiffusion,
  getNamedBetaSchedule,
  spaceTimesteps,
  type DiffusionTables,
  type GaussianDiffusionOptions,
} from "../../lib/diffusion";
import golden from "../fixtures/diffusion/schedules.json";

/** max |ours - theirs| / max(1, |theirs|) over a table */
function relErr(ours: Float64Array, theirs: number[]): number {
  expect(ours.length).toBe(theirs.length);
  let m = 0;
  theirs.forEach((v, i) => (m = Math.max(m, Math.abs(ours[i] - v) / Math.max(1, Math.abs(v)))));
  return m;
}

describe("coefficient tables equal guided-diffusion's (float64, 1e-12)", () => {
  for (const g of golden.diffusions) {
    const o = g.options as { steps: number; noise_schedule: "linear" | "cosine"; timestep_respacing?: string };
    test(`${o.noise_schedule} T=${o.steps} respacing "${o.timestep_respacing ?? ""}"`, () => {
      const opts: GaussianDiffusionOptions = { steps: o.steps, noiseSchedule: o.noise_schedule, timestepRespacing: o.timestep_respacing };
      const d = createGaussianDiffusion(opts);
      expect(d.timestepMap).toEqual(g.timestepMap);
      expect(d.numTimesteps).toBe(g.timestepMap.length);
      const tooFar = Object.entries(g.tables)
        .map(([name, values]) => [name, relErr(d[name as keyof DiffusionTables], values as number[])] as const)
        .filter(([, err]) => !(err < 1e-12));
      expect(tooFar).toEqual([]);
      expect(Object.keys(g.tables)).toHaveLength(13);
    });
  }

  test("linear betas run from 1e-4 to 0.02 at T = 1000 and scale by 1000/T", () => {
    const b = getNamedBetaSchedule("linear", 1000);
    expect(b[0]).toBe(0.0001);
    expect(b[999]).toBe(0.02);
    const b250 = getNamedBetaSchedule("linear", 250);
    expect(b250[0]).toBeCloseTo(0.0004, 15);
    expect(b250[249]).toBeCloseTo(0.08, 15);
  });

  test("cosine betas are capped at 0.999", () => {
    const b = getNamedBetaSchedule("cosine", 1000);
    expect(Math.max(...b)).toBe(0.999);
    expect(b[999]).toBe(0.999);
  });

  test("bad input is named", () => {
    expect(() => getNamedBetaSchedule("quadratic" as "linear", 10)).toThrow(/unknown beta schedule "quadratic"/);
    expect(() => computeDiffusionTables([0.1, 0])).toThrow(/betas\[1\] = 0/);
    expect(() => spaceTimesteps(1000, "ddim3000")).toThrow(/no integer stride/);
    expect(() => spaceTimesteps(10, "20")).toThrow(/section of 10 steps into 20/);
    expect(() => spaceTimesteps(10, "a,b")).toThrow(/comma-separated/);
  });
});

describe("spaceTimesteps", () => {
  test.each(golden.respacing.map((r) => [r.numTimesteps, r.spec, r.timesteps] as const))("T=%i %s equals guided-diffusion", (T, spec, want) => {
    expect(spaceTimesteps(T, spec)).toEqual(want);
  });

  test("hand-computed lists", () => {
    // stride (10-1)/(5-1) = 2.25: 0, 2.25, 4.5, 6.75, 9 -> Python rounds 4.5 to even
    expect(spaceTimesteps(10, "5")).toEqual([0, 2, 4, 7, 9]);
    expect(spaceTimesteps(10, "10")).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(spaceTimesteps(10, "2")).toEqual([0, 9]);
    expect(spaceTimesteps(10, "1")).toEqual([0]);
    // sections of 4, 3, 3 steps: [0..3] 2 -> {0,3}; [4..6] 2 -> {4,6}; [7..9] 3 -> {7,8,9}
    expect(spaceTimesteps(10, "2,2,3")).toEqual([0, 3, 4, 6, 7, 8, 9]);
    // smallest stride with ceil(100 / s) = 10 is 10
    expect(spaceTimesteps(100, "ddim10")).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    // ceil(10 / 3) = 4
    expect(spaceTimesteps(10, "ddim4")).toEqual([0, 3, 6, 9]);
    // stride 999/3 = 333
    expect(spaceTimesteps(1000, "4")).toEqual([0, 333, 666, 999]);
    // stride 2.5: 0, 2.5 -> 2, 5, 7.5 -> 8, 10
    expect(spaceTimesteps(11, "5")).toEqual([0, 2, 5, 8, 10]);
    expect(spaceTimesteps(6, [1, 2])).toEqual([0, 3, 5]);
  });

  test("respaced betas keep the kept alphasCumprod", () => {
    const full = createGaussianDiffusion({ steps: 1000 });
    const spaced = createGaussianDiffusion({ steps: 1000, timestepRespacing: "37" });
    spaced.timestepMap.forEach((s, k) => expect(Math.abs(spaced.alphasCumprod[k] - full.alphasCumprod[s])).toBeLessThan(1e-15));
  });
});
