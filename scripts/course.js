#!/usr/bin/env node
// Run the whole course headlessly: execute every notebook in notebooks/ with the project's tslab
// kernel, write the executed notebooks and an HTML page for each, plus an index, to build/course/.
//
//   npm start                      all notebooks, normal step counts
//   npm start -- --fast            small step counts (also ADM_FAST=1), as CI runs them
//   npm start -- 03 04             only notebooks whose names contain 03 or 04
//   node scripts/course.js --test  fast mode, solutions too, then check every page in headless Chromium
require("./register");
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { prepareOutput, writeFileAtomic } = require("../lib/io/write-files.ts");
const { jupyterPython, ROOT } = require("./jupyter-env");
const { checkPages } = require("./check-pages");

const USAGE = `usage: node scripts/course.js [--fast] [--solutions] [--test] [--out DIR] [FILTER...]
  --fast        small step counts for every notebook (same as ADM_FAST=1)
  --solutions   also run notebooks/solutions/*.ipynb
  --test        --fast --solutions, then check every page's plots and images in headless Chromium
  --out DIR     where to write executed notebooks and HTML (default build/course)
  FILTER        run only notebooks whose file name contains FILTER`;

function parseArgs(argv) {
  const opts = { fast: process.env.ADM_FAST === "1", solutions: false, test: false, out: path.join(ROOT, "build/course"), filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (a === "--fast") opts.fast = true;
    else if (a === "--solutions") opts.solutions = true;
    else if (a === "--test") {
      opts.test = opts.fast = opts.solutions = true;
    } else if (a === "--out") {
      opts.out = path.resolve(argv[++i] || "");
      if (!argv[i]) {
        console.error("--out needs a directory");
        process.exit(2);
      }
    } else if (a.startsWith("-")) {
      console.error(`unknown flag ${a}\n${USAGE}`);
      process.exit(2);
    } else opts.filters.push(a);
  }
  return opts;
}

function listNotebooks(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => path.join(dir, f));
}

function title(nbPath) {
  const nb = JSON.parse(fs.readFileSync(nbPath, "utf8"));
  for (const cell of nb.cells) {
    if (cell.cell_type !== "markdown") continue;
    const src = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    const m = src.match(/^#\s+(.+)$/m);
    if (m) return m[1].trim();
  }
  return path.basename(nbPath, ".ipynb");
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function writeIndex(out, rows, fast) {
  const body = rows
    .map(
      (r) =>
        `<tr><td><a href="${esc(r.page)}">${esc(r.name)}</a></td><td>${esc(r.title)}</td>` +
        `<td class="${r.status === "ok" ? "ok" : "bad"}">${esc(r.status)}</td><td>${esc(r.seconds)}</td></tr>`,
    )
    .join("\n");
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>adm-ts course</title>
<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}td,th{padding:4px 10px;border-bottom:1px solid #ddd}
.ok{color:#080}.bad{color:#c00;font-weight:bold}</style></head><body>
<h1>adm-ts: Diffusion Models Beat GANs, in TypeScript</h1>
<p>Executed ${new Date().toISOString()}${fast ? " in fast mode (small step counts)" : ""}. Each page is a notebook with its outputs.</p>
<table><tr><th>notebook</th><th>title</th><th>status</th><th>seconds</th></tr>
${body}
</table></body></html>\n`;
  writeFileAtomic(path.join(out, "index.html"), html);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  let notebooks = listNotebooks(path.join(ROOT, "notebooks"));
  if (opts.solutions) notebooks = notebooks.concat(listNotebooks(path.join(ROOT, "notebooks/solutions")));
  if (opts.filters.length) notebooks = notebooks.filter((p) => opts.filters.some((f) => path.basename(p).includes(f)));
  if (!notebooks.length) {
    console.error("no notebooks matched");
    process.exit(2);
  }
  const python = jupyterPython();
  try {
    prepareOutput([path.join(opts.out, "index.html")]);
  } catch (e) {
    console.error(`error: --out: ${e.message}`);
    process.exit(2);
  }
  console.log(`Running ${notebooks.length} notebook(s)${opts.fast ? " in fast mode" : ""} -> ${path.relative(ROOT, opts.out) || opts.out}`);
  const rows = [];
  let failed = 0;
  for (const nb of notebooks) {
    // One runner process per notebook, so one line per notebook appears as it finishes.
    const solution = nb.includes(`${path.sep}solutions${path.sep}`);
    const out = solution ? path.join(opts.out, "solutions") : opts.out;
    const env = { ...process.env, ADM_FAST: opts.fast ? "1" : process.env.ADM_FAST || "0" };
    const t0 = Date.now();
    const r = spawnSync(python, [path.join(__dirname, "run-notebooks.py"), "--html", "--out", out, nb], { env, encoding: "utf8" });
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    const ok = r.status === 0;
    if (!ok) failed++;
    process.stdout.write(`${ok ? "ok    " : "FAILED"} ${seconds.padStart(6)}s  ${path.relative(ROOT, nb)}\n`);
    if (!ok) process.stderr.write((r.stderr || "") + (r.error ? String(r.error) : ""));
    const name = path.basename(nb, ".ipynb");
    rows.push({
      name: (solution ? "solutions/" : "") + name,
      title: title(nb),
      status: ok ? "ok" : "FAILED",
      seconds,
      page: (solution ? "solutions/" : "") + name + ".html",
    });
  }
  writeIndex(opts.out, rows, opts.fast);
  console.log(`Course pages: ${path.join(path.relative(ROOT, opts.out) || opts.out, "index.html")}`);
  let pageFailures = 0;
  if (opts.test) pageFailures = checkPages(rows.filter((r) => r.status === "ok").map((r) => path.join(opts.out, r.page)));
  console.log(`notebooks: ${notebooks.length - failed} passed, ${failed} failed`);
  process.exit(failed || pageFailures ? 1 : 0);
}

main();
