import sharp from "sharp";
import { imageGridPng, labelledGridHtml } from "../../lib/viz/images";

describe("image grids", () => {
  it("tiles images with gaps and maps [-1, 1] to bytes", async () => {
    // two 2x2 grey images: all -1 (black) and all +1 (white), one row, gap 1, no upscaling
    const data = new Float32Array([-1, -1, -1, -1, 1, 1, 1, 1]);
    const png = await imageGridPng({ data, shape: [2, 2, 2, 1] }, { cols: 2, scale: 1, gap: 1 });
    const { data: px, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([5, 2]);
    const row0 = Array.from(px.subarray(0, 5 * info.channels)).filter((_, i) => i % info.channels === 0);
    expect(row0).toEqual([0, 0, 255, 255, 255]); // black, black, gap (white), white, white
  });

  it("upscales by nearest neighbour and keeps RGB", async () => {
    const data = new Uint8Array([255, 0, 0]);
    const png = await imageGridPng({ data, shape: [1, 1, 1, 3] }, { scale: 4, range: "byte" });
    const { data: px, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([4, 4, 3]);
    expect(Array.from(px.subarray(0, 3))).toEqual([255, 0, 0]);
  });

  it("rejects a wrong channel count or too little data, naming the shape", async () => {
    await expect(imageGridPng({ data: new Float32Array(8), shape: [1, 2, 2, 2] })).rejects.toThrow(/channels must be 1 or 3.*\[1,2,2,2\]/);
    await expect(imageGridPng({ data: new Float32Array(3), shape: [1, 2, 2, 1] })).rejects.toThrow(/3 values, shape \[1,2,2,1\] needs 4/);
  });

  it("draws a labelled grid as a table: a header of column labels, a label before each row, one PNG per image in order", async () => {
    // three 1x1 images (black, grey, white) in rows of two: the second row has one image
    const data = new Float32Array([-1, 0, 1]);
    const html = await labelledGridHtml(
      { data, shape: [3, 1, 1, 1] },
      { cols: 2, scale: 1, range: "signed", rowLabels: ["a<b", "c"], colLabels: ["t = 0", "t = 1"] },
    );
    const rows = html.split("<tr>").slice(1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/<th><\/th>.*t = 0.*t = 1/);
    expect(rows[1]).toMatch(/a&lt;b/);
    expect(rows[2]).toMatch(/>c</);
    const pixels = await Promise.all([...html.matchAll(/base64,([^"]+)"/g)].map(async (m) => (await sharp(Buffer.from(m[1], "base64")).raw().toBuffer())[0]));
    expect(pixels).toEqual([0, 128, 255]);
  });

  it("refuses label counts that do not match the grid, saying how many it needs", async () => {
    const batch = { data: new Float32Array(4), shape: [4, 1, 1, 1] as [number, number, number, number] };
    await expect(labelledGridHtml(batch, { cols: 2, rowLabels: ["one"] })).rejects.toThrow(/2 rows of 2 images need 2 rowLabels; got 1/);
    await expect(labelledGridHtml(batch, { cols: 2, colLabels: ["x", "y", "z"] })).rejects.toThrow(/2 columns need 2 colLabels; got 3/);
  });
});
