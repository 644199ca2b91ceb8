import { spawn, ChildProcess } from "child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { pages } from "../helpers/pages";
import { figureJson, PLACEHOLDER, PLOTLY_SERVER_PATH, plotlyBundle, plotlyHtml } from "../../lib/viz/plot";

const PLOTLY_JS = require.resolve("plotly.js-dist-min");
const fig = { data: [{ x: [1, 2], y: [0.5, 0.25], name: "</script><b>marker" }], layout: { title: { text: "t" } } };
const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

describe("plotly bundle", () => {
  const vscode = process.env.VSCODE_PID;
  beforeEach(() => delete process.env.VSCODE_PID);
  afterAll(() => (vscode === undefined ? delete process.env.VSCODE_PID : (process.env.VSCODE_PID = vscode)));

  it("is HTML with the figure's data once, a placeholder, no plotly.js, and closing tags escaped", () => {
    const b = plotlyBundle(fig);
    expect(Object.keys(b).sort()).toEqual(["text/html", "text/plain"]);
    const html = b["text/html"] as string;
    expect(count(JSON.stringify(b), "marker")).toBe(1);
    expect(html).toMatch(new RegExp(`<div id="plotly-[0-9a-f]{12}" class="adm-plot" [^>]*>${PLACEHOLDER.replace(/[()>]/g, "\\$&")}</div>`));
    expect(html.length).toBeLessThan(5_000);
    expect(html).not.toContain("</script><b>");
    expect(html).toContain(JSON.stringify(PLOTLY_SERVER_PATH));
  });

  it("inlines plotly.js only when asked", () => {
    const html = plotlyBundle(fig, { inlineJs: true })["text/html"] as string;
    expect(html.length).toBeGreaterThan(4_000_000);
    expect(count(html, "plotly.js v")).toBe(1);
  });

  it("is the plotly JSON alone in VS Code, which draws it itself", () => {
    process.env.VSCODE_PID = "1";
    const b = plotlyBundle({ data: [{ y: new Float32Array([0.1, 2]) }] });
    expect(Object.keys(b).sort()).toEqual(["application/vnd.plotly.v1+json", "text/plain"]);
    expect(b["application/vnd.plotly.v1+json"]).toEqual({ data: [{ y: [0.1, 2] }], layout: {}, config: {} });
  });
});

describe("figure JSON", () => {
  it("keeps 6 significant digits, integers exact, typed arrays as arrays, and no '<'", () => {
    const v = { a: 0.1234567891, b: 123456789, c: -2 / 3e12, d: NaN, e: new Float32Array([0.1, 1.5]), f: new Int32Array([7]), s: "<x>" };
    expect(JSON.parse(figureJson(v))).toEqual({ a: 0.123457, b: 123456789, c: -6.66667e-13, d: null, e: [0.1, 1.5], f: [7], s: "<x>" });
    expect(figureJson(v)).not.toContain("<");
    expect(figureJson(undefined)).toBe("{}");
  });
});

// The page-side loader in headless Chromium: where it finds plotly.js and what it says when it does not.
const browser = pages.chromium();
const itBrowser = browser ? it : it.skip;

function page(head: string, bodyAttrs = ""): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8">${head}</head><body${bodyAttrs}>` +
    `${plotlyHtml(fig)}\n${plotlyHtml({ data: [{ y: [3, 1, 2] }] })}</body></html>`
  );
}

describe("figures in a browser", () => {
  const dir = mkdtempSync(join(tmpdir(), "adm-plot-"));
  let server: ChildProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    // as a Jupyter server rooted at the repository serves it, below two base urls
    for (const base of ["nb", "lab"]) {
      const at = join(dir, "site", base, PLOTLY_SERVER_PATH);
      mkdirSync(join(at, ".."), { recursive: true });
      copyFileSync(PLOTLY_JS, at);
    }
    writeFileSync(join(dir, "site", "classic.html"), page("", ' data-base-url="/nb/"'));
    writeFileSync(join(dir, "site", "lab.html"), page('<script id="jupyter-config-data" type="application/json">{"baseUrl": "/lab/"}</script>'));
    mkdirSync(join(dir, "course"));
    writeFileSync(join(dir, "course", "with.html"), page(""));
    copyFileSync(PLOTLY_JS, join(dir, "course", "plotly.min.js"));
    writeFileSync(join(dir, "alone.html"), page(""));
    if (!browser) return;
    // port 0: the server picks a free one and prints it
    const srv = spawn("/usr/bin/python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", join(dir, "site")], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    server = srv;
    port = await new Promise<number>((ok, fail) => {
      let out = "";
      srv.stdout!.on("data", (d: Buffer) => {
        const m = (out += d.toString()).match(/port (\d+)/);
        if (m) ok(Number(m[1]));
      });
      srv.once("exit", () => fail(new Error(`the test's http server exited: ${out}`)));
    });
  }, 60000);

  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  itBrowser(
    "a course page draws every figure with plotly.min.js next to it",
    () => {
      expect(pages.inspect(pages.renderedDom(browser!, join(dir, "course", "with.html")))).toMatchObject({ declared: 2, drawn: 2, problems: [] });
    },
    120000,
  );

  itBrowser(
    "a page alone says where plotly.js was looked for",
    () => {
      const r = pages.inspect(pages.renderedDom(browser!, join(dir, "alone.html")));
      expect(r.drawn).toBe(0);
      expect(r.placeholders).toEqual(Array(2).fill("plot not drawn: plotly.js did not load from plotly.min.js (keep plotly.min.js next to this page)"));
    },
    120000,
  );

  itBrowser(
    "a Jupyter page loads it below its base url (classic notebook's data-base-url, JupyterLab's page config)",
    () => {
      for (const name of ["classic", "lab"]) {
        expect(pages.inspect(pages.renderedDom(browser!, `http://127.0.0.1:${port}/${name}.html`))).toMatchObject({ declared: 2, drawn: 2, problems: [] });
      }
    },
    120000,
  );
});
