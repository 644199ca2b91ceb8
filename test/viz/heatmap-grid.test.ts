import { heatmapGrid } from "../../lib/viz/heatmap-grid";

type Trace = { type: string; xaxis: string; yaxis: string; coloraxis?: string; zmin?: number; zmax?: number; showscale?: boolean; x?: number[]; y?: number[] };
type Axis = { domain: [number, number]; scaleanchor?: string; autorange?: string };

const panel = (v: number, title?: string) => ({
  z: [
    [v, -v / 2],
    [0, v / 4],
  ],
  title,
});

test("panels sit in a grid of non-overlapping square cells, row 0 on top, titles above", () => {
  const fig = heatmapGrid([panel(1, "a"), panel(2, "b"), panel(3, "c"), panel(4, "d"), panel(5, "e")], { cols: 3, title: "five", rowLabels: ["r0", "r1"] });
  const layout = fig.layout as Record<string, Axis | unknown>;
  const key = (k: number) => (k === 1 ? "" : String(k)); // plotly's first axes are "xaxis", "yaxis"
  const cells = [1, 2, 3, 4, 5].map((k) => ({ x: (layout[`xaxis${key(k)}`] as Axis).domain, y: (layout[`yaxis${key(k)}`] as Axis).domain }));
  for (let i = 0; i < cells.length; i++)
    for (let j = i + 1; j < cells.length; j++) {
      const a = cells[i],
        b = cells[j];
      const overlap = a.x[0] < b.x[1] && b.x[0] < a.x[1] && a.y[0] < b.y[1] && b.y[0] < a.y[1];
      expect(overlap).toBe(false);
    }
  expect(cells[0].y[0]).toBeGreaterThan(cells[3].y[1]); // first row above the second
  expect(cells[0].x[0]).toBeGreaterThan(0.05); // room for the row labels
  expect(layout.xaxis1).toBeUndefined();
  expect((layout.yaxis as Axis).scaleanchor).toBe("x");
  expect((layout.yaxis2 as Axis).scaleanchor).toBe("x2");
  expect((layout.yaxis as Axis).autorange).toBe("reversed");
  const notes = (layout.annotations as { text: string }[]).map((a) => a.text);
  expect(notes).toEqual(expect.arrayContaining(["a", "e", "r0", "r1"]));
});

test("colour ranges: symmetric and shared by default, per row, or per panel; ends can be forced", () => {
  const panels = [panel(1), panel(-8), panel(2), panel(3)];
  const all = heatmapGrid(panels, { cols: 2, title: "t" });
  expect((all.layout as Record<string, { cmin: number; cmax: number }>).coloraxis).toMatchObject({ cmin: -8, cmax: 8 });
  expect((all.data as Trace[]).every((t) => t.coloraxis === "coloraxis")).toBe(true);
  const byRow = heatmapGrid(panels, { cols: 2, title: "t", share: "row" });
  const l = byRow.layout as Record<string, { cmin: number; cmax: number }>;
  expect([l.coloraxis.cmax, l.coloraxis2.cmax]).toEqual([8, 3]);
  const own = heatmapGrid(
    [
      {
        z: [
          [0.1, 0.5],
          [0.2, 0.3],
        ],
      },
    ],
    { cols: 1, title: "t", share: "panel", diverging: false, zmin: 0 },
  );
  expect((own.data as Trace[])[0]).toMatchObject({ zmin: 0, zmax: 0.5, showscale: false });
});

test("marks are drawn on their panel's axes, and bad input is refused", () => {
  const fig = heatmapGrid([panel(1), { ...panel(1), marks: [[1, 0]] }], { cols: 2, title: "t" });
  const marks = (fig.data as Trace[]).filter((t) => t.type === "scatter");
  expect(marks).toHaveLength(1);
  expect(marks[0]).toMatchObject({ xaxis: "x2", yaxis: "y2", x: [1], y: [0] });
  expect(() => heatmapGrid([], { cols: 1, title: "t" })).toThrow(/no panels/);
  expect(() => heatmapGrid([{ z: [[1, 2], [3]], title: "ragged" }], { cols: 1, title: "t" })).toThrow(/panel 0 \("ragged"\) must be a non-empty rectangle/);
  expect(() => heatmapGrid([panel(1)], { cols: 0, title: "t" })).toThrow(/cols must be a positive integer/);
});
