// Open executed course pages in headless Chromium and check that every plotly figure was drawn and
// every image grid is a decodable PNG. Prints one line per page; returns the number of bad pages.
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

function chromium() {
  return ["chromium", "chromium-browser", "google-chrome"].find((c) => spawnSync("which", [c], { stdio: "ignore" }).status === 0);
}

/** The DOM of `file` (or an http URL) after its scripts ran (plotly draws within the virtual time budget). */
function renderedDom(browser, file) {
  const url = /^https?:/.test(file) ? file : "file://" + path.resolve(file);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "adm-chromium-"));
  try {
    const r = spawnSync(
      browser,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--virtual-time-budget=20000",
        "--dump-dom",
        url,
      ],
      { encoding: "utf8", maxBuffer: 1 << 30, timeout: 180000 },
    );
    if (r.status !== 0 && !r.stdout) throw new Error(`${browser} failed on ${file}: ${r.stderr || r.error}`);
    return r.stdout;
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** Count figures and image grids in a rendered page; `problems` lists what is wrong. */
function inspect(dom) {
  const declared = (dom.match(/<div id="plotly-[0-9a-f]+" class="adm-plot/g) || []).length;
  // plotly.newPlot adds the class js-plotly-plot to the figure's div once it has drawn it.
  const drawn = (dom.match(/<div id="plotly-[0-9a-f]+" class="adm-plot[^"]*js-plotly-plot/g) || []).length;
  const imgs = [...dom.matchAll(/<img class="adm-grid" src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => m[1]);
  const badImgs = imgs.filter((b64) => {
    const png = Buffer.from(b64, "base64");
    return png.length < 24 || png.toString("latin1", 1, 4) !== "PNG" || png.readUInt32BE(16) === 0 || png.readUInt32BE(20) === 0;
  }).length;
  // A figure not drawn still shows its placeholder, or the reason its script gave (lib/viz/plot.ts).
  const placeholders = [...dom.matchAll(/class="adm-plot"[^>]*>(plot not drawn: [^<]*)</g)].map((m) => m[1].replace(/&gt;/g, ">"));
  const problems = [];
  if (drawn !== declared) problems.push(`${declared - drawn} of ${declared} plots not drawn` + (placeholders.length ? ` ("${placeholders[0]}")` : ""));
  if (badImgs) problems.push(`${badImgs} image grids are not valid PNGs`);
  return { declared, drawn, images: imgs.length, placeholders, problems };
}

function checkPages(pages) {
  const browser = chromium();
  if (!browser) {
    console.error("check-pages: Chromium not found (Debian: apt-get install chromium); pages were not checked");
    return pages.length ? 1 : 0;
  }
  let bad = 0;
  for (const page of pages) {
    const r = inspect(renderedDom(browser, page));
    const ok = r.problems.length === 0;
    if (!ok) bad++;
    console.log(
      `${ok ? "page ok " : "page BAD"} ${path.basename(page)}: ${r.drawn}/${r.declared} plots drawn, ${r.images} image grids` +
        (ok ? "" : ` (${r.problems.join("; ")})`),
    );
  }
  return bad;
}

module.exports = { checkPages, inspect, renderedDom, chromium };

if (require.main === module) {
  const pages = process.argv.slice(2);
  if (!pages.length) {
    console.error("usage: node scripts/check-pages.js PAGE.html...");
    process.exit(2);
  }
  process.exit(checkPages(pages) ? 1 : 0);
}
