/**
 * The layering of lib/ drawn in lib/README.md holds in the code: every relative import in lib/ points
 * to its own folder or to a folder its row lets it import, in a lower layer. The table is read from
 * the README itself, so the drawing and the rule cannot drift apart.
 */
import { readdirSync, readFileSync, statSync } from "fs";
import { dirname, join, relative, resolve } from "path";
import * as ts from "typescript";

const LIB = resolve(__dirname, "../lib");

/** One row of the layer table: a folder (or top-level file) of lib/, its layer and what it may import. */
interface Room {
  layer: number;
  /** folders it may import; null means every folder in a lower layer */
  mayImport: Set<string> | null;
}

/** The room of a path inside lib/: "nn/params.ts" -> "nn", "backend.ts" -> "backend". */
function roomOf(libPath: string): string {
  return libPath.split("/")[0].replace(/\.ts$/, "");
}

/**
 * Parse the table of lib/README.md: rows `| layer | \`folder/\`, ... | holds | may import |`, where the
 * last cell lists folders in backticks, says "nothing", or "every folder below".
 */
function readLayerTable(markdown: string): Map<string, Room> {
  const rooms = new Map<string, Room>();
  for (const line of markdown.split("\n")) {
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length !== 4 || !/^\d+$/.test(cells[0])) continue;
    const names = Array.from(cells[1].matchAll(/`([^`]+)`/g), (m) => roomOf(m[1].replace(/\/$/, "")));
    const listed = Array.from(cells[3].matchAll(/`([^`]+)`/g), (m) => m[1]);
    let mayImport: Set<string> | null;
    if (/^every folder below$/.test(cells[3])) mayImport = null;
    else if (cells[3] === "nothing" || listed.length > 0) mayImport = new Set(listed);
    else
      throw new Error(
        `lib/README.md: the "may import" cell of ${cells[1]} is "${cells[3]}"; list folders in backticks, or write "nothing" or "every folder below"`,
      );
    for (const name of names) rooms.set(name, { layer: Number(cells[0]), mayImport });
  }
  return rooms;
}

/** The relative module specifiers a source imports: import/export from, import type, import(), require(); comments are ignored. */
function relativeImports(source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith("."));
}

/**
 * A higher-layer import in lib/diffusion or lib/sampling that waits for the rewrite of those folders,
 * as "file -> target" (paths inside lib/). Keep it empty: the layering holds today.
 */
const ALLOWED_CLIMBS: ReadonlySet<string> = new Set<string>([]);

/**
 * Every import among `files` (paths inside lib/ with their sources) that breaks the table, as
 * "file -> target (why)", plus the allowlist entries no import needs any more.
 */
function layerViolations(files: { path: string; source: string }[], rooms: Map<string, Room>, allowed: ReadonlySet<string> = ALLOWED_CLIMBS): string[] {
  const out: string[] = [];
  const used = new Set<string>();
  for (const { path, source } of files) {
    const from = roomOf(path);
    const own = rooms.get(from);
    if (!own) {
      out.push(`${path}: folder "${from}" has no row in lib/README.md; add one with its layer and what it may import`);
      continue;
    }
    for (const spec of relativeImports(source)) {
      const target = relative(LIB, resolve(LIB, dirname(path), spec));
      const to = roomOf(target);
      if (to === from) continue;
      const edge = `${path} -> ${target}`;
      if (allowed.has(edge)) {
        used.add(edge);
        continue;
      }
      const dest = rooms.get(to);
      if (target.startsWith("..")) out.push(`${edge} (outside lib/: the library imports only itself and packages)`);
      else if (!dest) out.push(`${edge} (folder "${to}" has no row in lib/README.md)`);
      else if (dest.layer > own.layer) out.push(`${edge} (climbs: ${from} is in layer ${own.layer}, ${to} in layer ${dest.layer})`);
      else if (dest.layer === own.layer) out.push(`${edge} (sideways: ${from} and ${to} are both in layer ${own.layer})`);
      else if (own.mayImport && !own.mayImport.has(to))
        out.push(`${edge} (${from} may import ${Array.from(own.mayImport).join(", ") || "nothing"} per lib/README.md; add ${to} to its row if this is meant)`);
    }
  }
  for (const edge of allowed) if (!used.has(edge)) out.push(`${edge} is in ALLOWED_CLIMBS but no file imports it any more: remove it`);
  return out;
}

/** Every .ts file under lib/, with its path inside lib/. */
function libFiles(dir = LIB): { path: string; source: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return libFiles(p);
    return p.endsWith(".ts") ? [{ path: relative(LIB, p), source: readFileSync(p, "utf8") }] : [];
  });
}

const rooms = readLayerTable(readFileSync(join(LIB, "README.md"), "utf8"));

describe("the layers of lib/ (lib/README.md)", () => {
  it("has one row for every folder and top-level file of lib/, and none for a folder that is gone", () => {
    const present = new Set(
      readdirSync(LIB)
        .filter((n) => n.endsWith(".ts") || statSync(join(LIB, n)).isDirectory())
        .map(roomOf),
    );
    expect(Array.from(present).sort()).toEqual(Array.from(rooms.keys()).sort());
  });

  it("lets each folder import only folders in lower layers", () => {
    const wrong: string[] = [];
    for (const [name, room] of rooms) {
      for (const to of room.mayImport ?? []) {
        const dest = rooms.get(to);
        if (!dest || dest.layer >= room.layer) wrong.push(`${name} (layer ${room.layer}) may import ${to} (${dest ? `layer ${dest.layer}` : "no row"})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("holds in the code: no import in lib/ climbs a layer, goes sideways or is missing from its row", () => {
    expect(layerViolations(libFiles(), rooms)).toEqual([]);
  });
});

describe("layerViolations", () => {
  const table = readLayerTable(
    [
      "| layer | folder | what it holds | may import |",
      "|---|---|---|---|",
      "| 2 | `top/` | the top | every folder below |",
      "| 1 | `mid/`, `side/` | the middle | `low` |",
      "| 0 | `low/`, `low.ts` | the bottom | nothing |",
    ].join("\n"),
  );

  it("reports a lower folder importing a higher one, a neighbour, and a lower folder missing from its row", () => {
    const files = [
      { path: "low/a.ts", source: 'import { b } from "../mid/b";\nimport type { C } from "../top/c";' },
      { path: "mid/b.ts", source: 'export * from "../side/s";\nconst l = require("../low/a");\nimport("../low.ts");' },
      { path: "side/s.ts", source: 'import { a } from "../low/a";\nimport { t } from "../top/index";' },
      { path: "top/c.ts", source: 'import "../mid/b";\nimport { x } from "./x";\nimport { l } from "../low/a";\nimport { q } from "../../scripts/q";' },
      { path: "new/n.ts", source: "" },
    ];
    expect(layerViolations(files, table, new Set())).toEqual([
      "low/a.ts -> mid/b (climbs: low is in layer 0, mid in layer 1)",
      "low/a.ts -> top/c (climbs: low is in layer 0, top in layer 2)",
      "mid/b.ts -> side/s (sideways: mid and side are both in layer 1)",
      "side/s.ts -> top/index (climbs: side is in layer 1, top in layer 2)",
      "top/c.ts -> ../scripts/q (outside lib/: the library imports only itself and packages)",
      'new/n.ts: folder "new" has no row in lib/README.md; add one with its layer and what it may import',
    ]);
  });

  it("reports a downward import that its row does not list, and ignores imports written in comments", () => {
    const strict = readLayerTable("| 3 | `up/` | u | `mid` |\n| 1 | `mid/` | m | nothing |\n| 0 | `low/` | l | nothing |");
    const files = [
      {
        path: "up/u.ts",
        source: '/** as in `import { m } from "../low/m"` */\n// import "../low/n";\nimport { m } from "../mid/m";\nimport { l } from "../low/l";',
      },
    ];
    expect(layerViolations(files, strict, new Set())).toEqual(["up/u.ts -> low/l (up may import mid per lib/README.md; add low to its row if this is meant)"]);
  });

  it("skips an allowlisted climb and reports an allowlist entry nothing needs", () => {
    const files = [{ path: "low/a.ts", source: 'import { b } from "../mid/b";' }];
    expect(layerViolations(files, table, new Set(["low/a.ts -> mid/b"]))).toEqual([]);
    expect(layerViolations([], table, new Set(["low/a.ts -> mid/b"]))).toEqual([
      "low/a.ts -> mid/b is in ALLOWED_CLIMBS but no file imports it any more: remove it",
    ]);
  });
});
