/**
 * The course in a live front end, through the real Jupyter client (jupyter_client, nbclient) and,
 * where installed, the classic notebook server in headless Chromium:
 *   - one kernel survives a student's un-awaited rejected promises, keeping its state;
 *   - a tensor made before initBackend says to call it;
 *   - a saved notebook whose first plot cell was re-run draws every figure on its own, as an nbconvert
 *     page and in the live notebook once trusted, shows the placeholder when untrusted, and carries
 *     neither plotly.js nor a second copy of any figure's data.
 */
import { spawn, spawnSync, ChildProcess } from "child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { pages } from "../helpers/pages";

const ROOT = resolve(__dirname, "../..");
const SESSION = join(ROOT, "test/helpers/jupyter-session.py");
const PYTHON = "/usr/bin/python3";

interface CellResult {
  status: "ok" | "error" | "dead";
  text: string;
  alive: boolean;
}
interface Session {
  pid_start: number;
  pid_end: number | null;
  cells: CellResult[];
}

function runCells(cells: string[]): Session {
  const dir = mkdtempSync(join(tmpdir(), "adm-kernel-"));
  try {
    writeFileSync(join(dir, "cells.json"), JSON.stringify(cells));
    const r = spawnSync(PYTHON, [SESSION, "cells", join(dir, "cells.json")], { encoding: "utf8", timeout: 240000 });
    if (r.status !== 0) throw new Error(`jupyter-session.py failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Session;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("one tslab kernel through the Jupyter client", () => {
  let session: Session;
  beforeAll(() => {
    session = runCells([
      'import * as tf from "@tensorflow/tfjs";\nimport * as lib from "./lib/index";\nconst state = 41;\nconsole.log(`fast mode: ${lib.isFast()}`);',
      "tf.tensor([1, 2]);", // before initBackend
      "await lib.initBackend();",
      'Promise.reject(new Error("rejected on purpose"));', // no await, no catch
      "lib.viz.showImages({ data: [0, 1], shape: [1, 1, 1, 2] });", // bad input, no await
      "await new Promise((r) => setTimeout(r, 500));\nstate + 1",
      "1 + 1",
    ]);
  }, 300000);

  it("names `await lib.initBackend()` when a tensor is made before it", () => {
    const c = session.cells[1];
    expect(c.status).toBe("error");
    expect(c.text).toContain("has not yet been initialized");
    expect(c.text).toContain("await lib.initBackend()");
  });

  it("survives un-awaited rejections: they print as warnings, state and the kernel process stay", () => {
    expect(session.cells.map((c) => c.status)).toEqual(["ok", "error", "ok", "ok", "ok", "ok", "ok"]);
    expect(session.cells.every((c) => c.alive)).toBe(true);
    expect(session.cells[3].text).toMatch(/UnhandledPromiseRejection: Error: rejected on purpose/);
    expect(session.cells[4].text).toMatch(/UnhandledPromiseRejection: Error: imageGridPng: channels must be 1 or 3/);
    expect(session.cells[5].text.trim()).toBe("42");
    expect(session.cells[6].text.trim()).toBe("2");
    expect(session.pid_end).toBe(session.pid_start);
  });
});

/** A notebook with two figures and an image grid, each carrying a marker string once. */
function plotNotebook(): string {
  const cells = [
    'import * as lib from "./lib/index";',
    // in braces: tslab would print a last expression (the figure, the PNG buffer) as text too
    '{ lib.viz.plot({ data: [{ x: [1, 2, 3], y: [0.125, 7.5, 3.25], name: "first-figure-marker" }] }); }',
    '{ lib.viz.plot({ data: [{ x: [1, 2], y: [2, 1], name: "second-figure-marker" }] }); }',
    '{ await lib.viz.showImages({ data: new Float32Array(2 * 4 * 4).fill(0.5), shape: [2, 4, 4, 1] }, { caption: "grid-marker" }); }',
  ];
  return JSON.stringify({
    cells: cells.map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

const freePort = (): Promise<number> =>
  new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });

const hasClassicNotebook = spawnSync("jupyter", ["notebook", "--version"], { stdio: "ignore" }).status === 0;
const browser = pages.chromium();
const itBrowser = browser ? it : it.skip;
const itLive = browser && hasClassicNotebook ? it : it.skip;

describe("a saved notebook whose first plot cell was re-run", () => {
  // Inside the repository, so that a notebook server rooted there (as `npm run lab` starts it) serves it.
  const dir = join(ROOT, "build/test-front-end");
  const base = join(dir, "reload");
  let saved: string;

  beforeAll(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "in.ipynb"), plotNotebook());
    const r = spawnSync(PYTHON, [SESSION, "notebook", join(dir, "in.ipynb"), base, "1"], { encoding: "utf8", timeout: 240000 });
    if (r.status !== 0) throw new Error(`jupyter-session.py failed: ${r.stderr}`);
    saved = readFileSync(base + ".ipynb", "utf8");
  }, 300000);

  it("carries no plotly.js and each figure's data and the grid's PNG once", () => {
    expect(saved.length).toBeLessThan(20_000); // plotly.js alone is 4.8 MB
    const outputs = JSON.stringify((JSON.parse(saved) as { cells: { outputs: unknown[] }[] }).cells.map((c) => c.outputs));
    const count = (s: string): number => outputs.split(s).length - 1;
    expect(count("first-figure-marker")).toBe(1);
    expect(count("second-figure-marker")).toBe(1);
    expect(count("grid-marker")).toBe(1);
    expect(count("iVBORw0KGgo")).toBe(1); // the start of every base64 PNG
    expect(outputs).not.toContain("application/vnd.plotly.v1+json");
  });

  itBrowser(
    "draws every figure in its nbconvert page",
    () => {
      const r = pages.inspect(pages.renderedDom(browser!, base + ".html"));
      expect(r).toMatchObject({ declared: 2, drawn: 2, images: 1, problems: [] });
    },
    200000,
  );

  describe("in the live classic notebook (jupyter notebook, rooted at the repository)", () => {
    let server: ChildProcess | undefined;
    let url = "";
    const jupyterDirs = mkdtempSync(join(tmpdir(), "adm-jupyter-"));
    const env = {
      ...process.env,
      JUPYTER_PATH: join(ROOT, "jupyter"),
      JUPYTER_DATA_DIR: join(jupyterDirs, "data"),
      JUPYTER_CONFIG_DIR: join(jupyterDirs, "config"),
      JUPYTER_RUNTIME_DIR: join(jupyterDirs, "runtime"),
    };

    beforeAll(async () => {
      if (!browser || !hasClassicNotebook) return;
      // Trusted: signed with the server's secret (what saving from the notebook does); untrusted: a copy that differs.
      const sign = spawnSync(
        PYTHON,
        [
          "-c",
          [
            "import nbformat, sys",
            "from nbformat.sign import NotebookNotary",
            "nb = nbformat.read(sys.argv[1], as_version=4)",
            "NotebookNotary().sign(nb)",
            "nb.metadata['adm_copy'] = 'untrusted'",
            "nbformat.write(nb, sys.argv[2])",
          ].join("\n"),
          base + ".ipynb",
          join(dir, "untrusted.ipynb"),
        ],
        { encoding: "utf8", env },
      );
      if (sign.status !== 0) throw new Error(`signing failed: ${sign.stderr}`);
      const port = await freePort();
      server = spawn(
        "jupyter",
        [
          "notebook",
          "--no-browser",
          "--ip",
          "127.0.0.1",
          "--port",
          String(port),
          "--NotebookApp.token=",
          "--NotebookApp.password=",
          "--notebook-dir",
          ROOT,
          ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
        ],
        { env, stdio: "ignore" },
      );
      url = `http://127.0.0.1:${port}/`;
      for (let i = 0; i < 120; i++) {
        try {
          if ((await fetch(url + "api")).ok) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error("jupyter notebook did not start within 60 s");
    }, 120000);

    afterAll(() => {
      server?.kill("SIGTERM");
      rmSync(jupyterDirs, { recursive: true, force: true });
    });

    itLive(
      "draws every figure once trusted, plotly.js served from the repository",
      () => {
        const r = pages.inspect(pages.renderedDom(browser!, url + "notebooks/build/test-front-end/reload.ipynb"));
        expect(r).toMatchObject({ declared: 2, drawn: 2, images: 1, problems: [] });
      },
      200000,
    );

    itLive(
      "shows the placeholder in each figure's place when untrusted, and the image grid",
      () => {
        const r = pages.inspect(pages.renderedDom(browser!, url + "notebooks/build/test-front-end/untrusted.ipynb"));
        expect(r.declared).toBe(2);
        expect(r.drawn).toBe(0);
        expect(r.placeholders).toEqual(Array(2).fill("plot not drawn: trust this notebook (File > Trust) or run the cell"));
        expect(r.images).toBe(1);
      },
      200000,
    );
  });
});
