import { formatDuration, progressLine } from "../../lib/viz/progress";

describe("progress line", () => {
  it("shows count, rate and ETA", () => {
    // 25 of 100 steps in 5 s: 5 it/s, 75 steps left -> 15 s
    expect(progressLine({ label: "train", done: 25, total: 100, elapsedS: 5, note: "loss 0.1" })).toBe(
      "train [######..................] 25/100 5.0 it/s elapsed 0:05 ETA 0:15 loss 0.1",
    );
    // slower than one step a second is shown as seconds per step
    expect(progressLine({ label: "s", done: 1, total: 3, elapsedS: 4 })).toContain("4.00 s/it");
  });

  it("formats durations", () => {
    expect(formatDuration(59.6)).toBe("1:00");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(Infinity)).toBe("?");
  });
});
