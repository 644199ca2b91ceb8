// Find (or install) a Python with the Jupyter client (nbclient, nbconvert) for running the course.
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const VENV = path.join(ROOT, ".venv");

function hasJupyter(python) {
  const r = spawnSync(python, ["-c", "import nbclient, nbconvert, nbformat, jupyter_client"], { stdio: "ignore" });
  return r.status === 0;
}

/** Pythons to try, in order: ADM_PYTHON, the project venv, Debian's python, python3 on PATH. */
function candidates() {
  return [process.env.ADM_PYTHON, path.join(VENV, "bin/python"), "/usr/bin/python3", "python3"].filter(Boolean);
}

function findPython() {
  return candidates().find((p) => (p.includes("/") ? fs.existsSync(p) : true) && hasJupyter(p));
}

const HOW_TO = `The course runs notebooks with the Jupyter client (nbclient + nbconvert). Install it with one of:
  Debian/Ubuntu:  sudo apt-get install jupyter-nbconvert jupyter-client
  pip:            python3 -m pip install nbclient nbconvert jupyter_client
  conda:          conda install -c conda-forge nbclient nbconvert jupyter_client
or point ADM_PYTHON at a Python that has them.`;

function run(cmd, args) {
  console.error(`$ ${cmd} ${args.join(" ")}`);
  return spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
}

/** Install the Jupyter client where we can: apt as root on Debian/Ubuntu, else a project venv with pip. */
function install() {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root && fs.existsSync("/usr/bin/apt-get")) {
    console.error("Jupyter client not found: installing it with apt (Debian packages jupyter-nbconvert jupyter-client).");
    if (
      run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "jupyter-nbconvert", "jupyter-client"]) ||
      (run("apt-get", ["update", "-qq"]) && run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "jupyter-nbconvert", "jupyter-client"]))
    ) {
      if (hasJupyter("/usr/bin/python3")) return "/usr/bin/python3";
    }
  }
  console.error(`Jupyter client not found: creating a project virtual environment in ${VENV} with pip.`);
  const py = ["python3", "/usr/bin/python3"].find((p) => spawnSync(p, ["--version"], { stdio: "ignore" }).status === 0);
  if (py && run(py, ["-m", "venv", VENV]) && run(path.join(VENV, "bin/python"), ["-m", "pip", "install", "-q", "nbclient", "nbconvert", "jupyter_client"])) {
    return path.join(VENV, "bin/python");
  }
  return undefined;
}

/** A Python that can run notebooks, installing the Jupyter client if needed; exits with instructions if impossible. */
function jupyterPython({ installIfMissing = true } = {}) {
  const found = findPython() || (installIfMissing ? install() : undefined);
  if (!found) {
    console.error(HOW_TO);
    process.exit(1);
  }
  return found;
}

module.exports = { jupyterPython, findPython, HOW_TO, ROOT };
