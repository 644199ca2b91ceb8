import { getNamedBetaSchedule } from "../../lib/diffusion/schedules";

describe("linear schedule limits", () => {
  it("rejects T < 20, where beta_T = 20 / T exceeds 1; T = 20 ends at beta = 1 as in guided-diffusion", () => {
    expect(() => getNamedBetaSchedule("linear", 10)).toThrow(/needs at least 20 steps \(its last beta would be 20\/T = 2.00 > 1\)/);
    const b = getNamedBetaSchedule("linear", 20);
    expect(b[19]).toBeCloseTo(1, 12);
    expect(getNamedBetaSchedule("cosine", 10).every((x) => x <= 0.999)).toBe(true);
  });
});
