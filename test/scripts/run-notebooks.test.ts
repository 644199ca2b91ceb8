import { spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";

const RUNNER = resolve(__dirname, "../../scripts/run-notebooks.py");

function notebook(cells: string[]): string {
  return JSON.stringify({
    cells: cells.map((src, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source: src })),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

describe("the notebook runner", () => {
  it("reports the failing cell with its source and error text, writes the partial notebook, and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "nb-"));
    const path = join(dir, "broken.ipynb");
    writeFileSync(
      path,
      notebook(["const answer = 6 * 7;\nconsole.log(`answer ${answer}`);", 'const n: number = "not a number";', "console.log('never runs');"]),
    );
    // a temporary file a killed run left (its pid no longer runs) is removed; the finished files are whole
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    mkdirSync(join(dir, "out"));
    writeFileSync(join(dir, "out", `broken.ipynb.tmp-${dead}-x`), '{"cells": [');
    const r = spawnSync("/usr/bin/python3", [RUNNER, "--out", join(dir, "out"), "--html", path], { encoding: "utf8", timeout: 120000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("broken.ipynb: cell 1 failed");
    expect(r.stderr).toContain('const n: number = "not a number";');
    expect(r.stderr).toMatch(/Type 'string' is not assignable to type 'number'/);
    expect(r.stdout).toMatch(/notebooks: 0 passed, 1 failed/);
    const executed = JSON.parse(readFileSync(join(dir, "out", "broken.ipynb"), "utf8"));
    expect(JSON.stringify(executed.cells[0].outputs)).toContain("answer 42");
    expect(existsSync(join(dir, "out", "broken.html"))).toBe(true);
    // the page, the partial notebook and the plotly.js its figures load; no temporary file left behind
    expect(readdirSync(join(dir, "out")).sort()).toEqual(["broken.html", "broken.ipynb", "plotly.min.js"]);
  }, 120000);
});
