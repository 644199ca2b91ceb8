import { metricCurves, resultsHtml, resultsMarkdown, tradeoffCurve, X_AXES } from "../../lib/viz/curves";

const sweep = [
  {
    name: "ADM-G",
    points: [
      { x: 10, fid: 12, precision: 0.9, recall: 0.3 },
      { x: 1, fid: 33, precision: 0.6, recall: 0.6 },
      { x: 4, fid: 9 },
    ],
  },
  { name: "ADM", points: [{ x: 1, fid: 20, precision: 0.7, recall: 0.5 }] },
];

describe("metricCurves", () => {
  test("one subplot per metric, one trace per series and subplot, sorted by x, missing values skipped", () => {
    const fig = metricCurves(sweep, { x: X_AXES.guidance });
    expect(fig.data).toHaveLength(3 * 2);
    const [fidG, fidA, precG] = fig.data as Array<{ x: number[]; y: number[]; xaxis: string; yaxis: string; showlegend: boolean }>;
    expect([fidG.x, fidG.y, fidG.xaxis, fidG.showlegend]).toEqual([[1, 4, 10], [33, 9, 12], "x", true]);
    expect(fidA.y).toEqual([20]);
    expect([precG.x, precG.y, precG.yaxis, precG.showlegend]).toEqual([[1, 10], [0.6, 0.9], "y2", false]);
    const layout = fig.layout as Record<string, { title: { text: string }; range?: number[]; type?: string }>;
    expect(layout.xaxis3.title.text).toBe("guidance scale");
    expect(layout.yaxis.title.text).toBe("FID (lower is better)");
    expect(layout.yaxis2.range).toEqual([0, 1]);
  });

  test("log x for steps; an empty metric list is an error", () => {
    const fig = metricCurves(sweep, { x: X_AXES.steps, metrics: ["fid"], logX: true });
    expect((fig.layout as { xaxis: { type: string } }).xaxis.type).toBe("log");
    expect(() => metricCurves(sweep, { x: "s", metrics: [] })).toThrow(/metrics is empty/);
  });

  test("tradeoffCurve pairs two metrics and labels points with the sweep value", () => {
    const fig = tradeoffCurve(sweep, { x: "recall", y: "precision", sweep: "guidance scale" });
    const [g] = fig.data as Array<{ x: number[]; y: number[]; text: string[] }>;
    expect([g.x, g.y, g.text]).toEqual([
      [0.6, 0.3],
      [0.6, 0.9],
      ["1", "10"],
    ]);
  });
});

describe("results tables", () => {
  const rows = [
    { model: "ADM", fid: 10.94, sfid: 6.02, precision: 0.69, recall: 0.63 },
    { model: "ADM-G", fid: 4.59, sfid: 5.25, precision: 0.82, recall: 0.52 },
    { model: "ours | small", fid: 40.123 },
  ];

  test("markdown in the paper's layout with the best value of each column in bold", () => {
    expect(resultsMarkdown(rows)).toBe(
      [
        "| Model | FID | sFID | Prec | Rec |",
        "|:--|--:|--:|--:|--:|",
        "| ADM | 10.94 | 6.02 | 0.69 | **0.63** |",
        "| ADM-G | **4.59** | **5.25** | **0.82** | 0.52 |",
        "| ours \\| small | 40.12 | - | - | - |",
      ].join("\n"),
    );
  });

  test("HTML has the same cells, escaped, and an IS column when a row has one", () => {
    const html = resultsHtml([{ model: "a<b", fid: 1, inceptionScore: 100 }], { digits: 1, boldBest: false });
    expect(html).toContain("<th>IS</th>");
    expect(html).toContain('<td style="text-align:left">a&lt;b</td><td>1.0</td><td>-</td><td>-</td><td>-</td><td>100.0</td>');
    expect(html).not.toContain("<b>");
  });
});
