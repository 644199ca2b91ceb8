#!/usr/bin/env node
// Open the course in a Jupyter front end with the project's tslab kernel (JUPYTER_PATH=./jupyter):
// JupyterLab if installed, else the classic notebook. Extra arguments go to Jupyter.
const { spawnSync } = require("child_process");
const path = require("path");
const ROOT = path.resolve(__dirname, "..");
const env = { ...process.env, JUPYTER_PATH: path.join(ROOT, "jupyter") + (process.env.JUPYTER_PATH ? path.delimiter + process.env.JUPYTER_PATH : "") };
const has = (sub) => spawnSync("jupyter", [sub, "--version"], { stdio: "ignore", env }).status === 0;
const front = ["lab", "notebook"].find(has);
if (!front) {
  console.error(`No Jupyter front end found (jupyter lab or jupyter notebook). Install one:
  Debian/Ubuntu:  sudo apt-get install jupyter-notebook
  pip:            python3 -m pip install jupyterlab
  conda:          conda install -c conda-forge jupyterlab
then run 'npm run lab' again. VS Code: open a notebook, pick the kernel "TypeScript (adm-ts, tslab)" after
adding ${path.join(ROOT, "jupyter")} to JUPYTER_PATH.`);
  process.exit(1);
}
const args = process.argv.slice(2);
// Jupyter refuses to start as root (containers, Codespaces) unless told --allow-root.
if (typeof process.getuid === "function" && process.getuid() === 0 && !args.includes("--allow-root")) {
  console.log("Running as root: adding --allow-root (Jupyter exits at once without it).");
  args.push("--allow-root");
}
// The server's root is the repository: cells import ./lib, and figures load plotly.js from
// <base>files/node_modules/plotly.js-dist-min/plotly.min.js (lib/viz/plot.ts).
console.log(`Starting jupyter ${front} in ${ROOT} with the "TypeScript (adm-ts, tslab)" kernel...`);
const r = spawnSync("jupyter", [front, "--notebook-dir", ROOT, ...args], { stdio: "inherit", env, cwd: ROOT });
process.exit(r.status ?? 1);
