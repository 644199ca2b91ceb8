import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import { dirname, join, resolve } from "path";

/** Every .ts file under `dir`. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("lib imports work inside the tslab kernel", () => {
  // tslab loads lib files from its own compiled outputs and resolves "./x" only to "./x.ts":
  // a folder import ("./diffusion" meaning "./diffusion/index.ts") fails with "Cannot find module".
  it("names files, never folders, in relative imports", () => {
    const lib = resolve(__dirname, "../lib");
    const offenders: string[] = [];
    for (const file of tsFiles(lib)) {
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)["'](\.{1,2}(?:\/[^"']*)?)["']/g)) {
        const target = resolve(dirname(file), m[1]);
        const isFolderOnly = existsSync(target) && statSync(target).isDirectory() && !existsSync(target + ".ts");
        if (isFolderOnly) offenders.push(`${file}: "${m[1]}" (write "${m[1]}/index")`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
