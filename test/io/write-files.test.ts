import { spawnSync } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { AdmInputError } from "../../lib/io/errors";
import {
  commitInOrder,
  ensureDir,
  prepareOutput,
  removeStaleTemps,
  stageAll,
  stageBytes,
  stageFile,
  tempPathFor,
  writeAll,
  writeFileAtomic,
} from "../../lib/io/write-files";
import { thrown } from "../helpers/memory";

/** The pid of a process that has exited (so a temp file named after it is stale). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("write-files", () => {
  const dir = mkdtempSync(join(tmpdir(), "adm-write-"));

  test("a staged file is complete on disk under a temporary name; the old file stays until commit", () => {
    const path = join(dir, "a.txt");
    writeFileSync(path, "old");
    const staged = stageBytes(path, "new content");
    expect(readFileSync(path, "utf8")).toBe("old");
    expect(readFileSync(staged.tmp, "utf8")).toBe("new content");
    expect(staged.tmp.startsWith(`${path}.tmp-${process.pid}-`)).toBe(true);
    staged.commit();
    expect(readFileSync(path, "utf8")).toBe("new content");
    expect(readdirSync(dir)).toEqual(["a.txt"]);
  });

  test("a write that fails (a full disk) leaves the old file and no temporary file, and names the file", () => {
    const path = join(dir, "b.bin");
    writeFileAtomic(path, "good");
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    const e = thrown(() =>
      stageFile(path, (fd) => {
        writeAll(fd, new Uint8Array(100));
        throw full;
      }),
    );
    expect(e).toBeInstanceOf(AdmInputError);
    expect(e.message).toMatch(/b\.bin: cannot write \(ENOSPC\) \(at writing\); the disk is full: free some space or write elsewhere/);
    expect(readFileSync(path, "utf8")).toBe("good");
    expect(readdirSync(dir).filter((n) => n.startsWith("b.bin"))).toEqual(["b.bin"]);
  });

  test("a rename that fails removes its temporary file; stageAll discards the rest when one stage fails", () => {
    const blocked = join(dir, "blocked");
    mkdirSync(join(blocked, "inside"), { recursive: true }); // a non-empty folder cannot be renamed over
    const staged = stageBytes(blocked, "x");
    expect(() => staged.commit()).toThrow(/blocked: cannot write \((EISDIR|ENOTEMPTY|EEXIST)\) \(at the rename into place\)/);
    expect(readdirSync(dir).filter((n) => n.startsWith("blocked."))).toEqual([]);
    const first = join(dir, "first.txt");
    expect(() =>
      stageAll([
        () => stageBytes(first, "1"),
        () => {
          throw new Error("second failed");
        },
      ]),
    ).toThrow("second failed");
    expect(readdirSync(dir).filter((n) => n.startsWith("first.txt"))).toEqual([]);
    const after = join(dir, "after.txt");
    expect(() => commitInOrder([stageBytes(blocked, "x"), stageBytes(after, "2")])).toThrow(/blocked: cannot write/);
    expect(readdirSync(dir).filter((n) => n.startsWith("after.txt") || n.startsWith("blocked."))).toEqual([]);
  });

  test("temporary files of writers that are no longer running are removed, those of live ones kept", () => {
    const path = join(dir, "c.npz");
    const stale = `${path}.tmp-${deadPid()}-x-0`;
    const live = `${path}.tmp-${process.ppid}-x-0`;
    const other = join(dir, "d.npz.tmp-1-x-0");
    for (const f of [stale, live, other]) writeFileSync(f, "part");
    expect(removeStaleTemps([path])).toEqual([stale]);
    expect([existsSync(stale), existsSync(live), existsSync(other)]).toEqual([false, true, true]);
    expect(tempPathFor(path)).not.toBe(tempPathFor(path));
  });

  test("folders are made level by level; a path that cannot be made fails at once (Node's recursive mkdir loops forever under /proc)", () => {
    ensureDir(join(dir, "x", "y", "z"));
    expect(existsSync(join(dir, "x", "y", "z"))).toBe(true);
    writeFileSync(join(dir, "plain"), "");
    expect(thrown(() => ensureDir(join(dir, "plain", "sub"))).message).toMatch(/plain: a file has the folder's name/);
    if (!existsSync("/proc/1")) return;
    const t0 = Date.now();
    const e = thrown(() => prepareOutput(["/proc/1/nope/s.png"]));
    expect(e).toBeInstanceOf(AdmInputError);
    expect(e.message).toMatch(/^\/proc\/1\/nope: cannot create the folder \(ENOENT\)/);
    expect(thrown(() => prepareOutput(["/proc/s.png"])).message).toMatch(/^\/proc: cannot write \(\w+\) \(at a test file\)/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  test("prepareOutput makes the folder, probes it, and leaves nothing behind but what was there", () => {
    const out = join(dir, "new", "deeper");
    const stale = join(out, `s.png.tmp-${deadPid()}-x-0`);
    mkdirSync(out, { recursive: true });
    writeFileSync(stale, "part");
    prepareOutput([join(out, "s.png"), join(out, "s.npz")]);
    expect(readdirSync(out)).toEqual([]);
  });
});
