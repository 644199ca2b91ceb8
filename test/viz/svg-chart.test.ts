import { lineChartSvg, logTicks, niceTicks } from "../../lib/viz/svg-chart";

describe("SVG line chart", () => {
  it("picks round ticks", () => {
    expect(niceTicks([0, 1])).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks([0, 950])).toEqual([0, 200, 400, 600, 800]);
  });

  it("puts log ticks at 1, 2 and 5 times powers of ten", () => {
    // between 0.3 and 2.3: 0.5, 1, 2
    expect(logTicks([Math.log10(0.3), Math.log10(2.3)]).map((v) => +Math.pow(10, v).toPrecision(3))).toEqual([0.5, 1, 2]);
  });

  it("maps the data range onto the plot box and escapes labels", () => {
    const svg = lineChartSvg([{ name: "a<b", x: [0, 10], y: [1, 3] }], { width: 200, height: 100, title: "t" });
    // L=64, R=16, T=32, B=44: x 0 -> 64, x 10 -> 184; y 1 -> 56 (bottom), y 3 -> 32 (top)
    expect(svg).toContain('points="64.0,56.0 184.0,32.0"');
    expect(svg).toContain("a&lt;b");
    expect(() => lineChartSvg([{ name: "n", x: [1], y: [NaN] }])).toThrow(/no finite points/);
  });
});
