import { getNamedBetaSchedule } from "../../lib/diffusion/schedules";

describe("linear schedule limits", () => {
  it("rejects T <= 20, where beta_T = 20 / T reaches 1 and alpha-bar_T = 0", () => {
    expect(() => getNamedBetaSchedule("linear", 20)).toThrow(/needs more than 20 steps \(its last beta is 20\/T = 1.00\)/);
    const b = getNamedBetaSchedule("linear", 21);
    expect(b[20]).toBeCloseTo(20 / 21, 12);
    expect(getNamedBetaSchedule("cosine", 10).every((x) => x <= 0.999)).toBe(true);
  });
});
