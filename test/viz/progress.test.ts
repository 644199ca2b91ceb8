import { formatDuration, progressLine } from "../../lib/viz/progress";
import { plotlyBundle } from "../../lib/viz/plot";

describe("progress line", () => {
  it("shows count, rate and ETA", () => {
    // 25 of 100 steps in 5 s: 5 it/s, 75 steps left -> 15 s
    expect(progressLine({ label: "train", done: 25, total: 100, elapsedS: 5, note: "loss 0.1" })).toBe(
      "train [######..................] 25/100 5.0 it/s elapsed 0:05 ETA 0:15 loss 0.1");
    // slower than one step a second is shown as seconds per step
    expect(progressLine({ label: "s", done: 1, total: 3, elapsedS: 4 })).toContain("4.00 s/it");
  });

  it("formats durations", () => {
    expect(formatDuration(59.6)).toBe("1:00");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(Infinity)).toBe("?");
  });
});

describe("plotly bundle", () => {
  it("carries plotly JSON, self-contained HTML when asked, and escapes closing tags", () => {
    const fig = { data: [{ x: [1], y: [2], name: "</script><b>" }], layout: { title: { text: "t" } } };
    const withJs = plotlyBundle(fig, { inlineJs: true });
    const withoutJs = plotlyBundle(fig, { inlineJs: false });
    expect((withJs["application/vnd.plotly.v1+json"] as { data: unknown[] }).data).toEqual(fig.data);
    expect((withJs["text/html"] as string).length).toBeGreaterThan(1_000_000); // plotly.js inlined
    expect((withoutJs["text/html"] as string).length).toBeLessThan(5_000);
    expect(withoutJs["text/html"] as string).not.toContain("</script><b>");
  });
});
