import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { delimiter, join, resolve } from "path";

const ROOT = resolve(__dirname, "../..");

/** Run scripts/lab.js with a stand-in `jupyter` (classic notebook only) that records its arguments. */
function lab(args: string[]): { stdout: string; argv: string[]; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), "adm-lab-"));
  try {
    const log = join(dir, "argv");
    writeFileSync(
      join(dir, "jupyter"),
      `#!/bin/sh
if [ "$2" = "--version" ]; then [ "$1" = "notebook" ]; exit $?; fi
for a in "$@"; do echo "$a"; done > "${log}"
echo "JUPYTER_PATH=$JUPYTER_PATH" >> "${log}"
`,
    );
    chmodSync(join(dir, "jupyter"), 0o755);
    const r = spawnSync("node", [join(ROOT, "scripts/lab.js"), ...args], {
      encoding: "utf8",
      env: { ...process.env, PATH: dir + delimiter + process.env.PATH },
    });
    return { stdout: r.stdout, argv: readFileSync(log, "utf8").trim().split("\n"), status: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("npm run lab", () => {
  const root = process.getuid?.() === 0;

  it("starts the front end at the repository with the project's kernelspec, passing extra arguments through", () => {
    const r = lab(["--port", "8899", "--no-browser"]);
    expect(r.status).toBe(0);
    expect(r.argv.slice(0, 6)).toEqual(["notebook", "--notebook-dir", ROOT, "--port", "8899", "--no-browser"]);
    expect(r.argv).toContain(`JUPYTER_PATH=${join(ROOT, "jupyter")}` + (process.env.JUPYTER_PATH ? delimiter + process.env.JUPYTER_PATH : ""));
    // as root (containers, Codespaces) Jupyter exits at once without --allow-root, so lab.js adds it
    expect(r.argv.includes("--allow-root")).toBe(root);
    expect(r.stdout.includes("Running as root")).toBe(root);
  });

  it("does not add --allow-root twice", () => {
    expect(lab(["--allow-root"]).argv.filter((a) => a === "--allow-root")).toHaveLength(1);
  });
});
