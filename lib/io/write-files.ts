/**
 * Writing files so that nothing is lost. Every file goes to a temporary name beside its final path
 * (the same folder, so the rename is atomic), is flushed to disk, and is renamed into place only
 * when it is complete: a reader, or a run that was killed, sees the old file or the new one, never
 * a part of one. Temporary names carry the writer's process id, so a later run tells a dead
 * writer's leftovers from a live one's and removes them.
 *
 * Output folders are made one level at a time and probed with a real file before any long work
 * starts: Node's `mkdirSync(dir, { recursive: true })` never returns on some paths (under /proc),
 * and a folder that cannot take a file should fail a command at once, not after an hour of work.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from "fs";
import { basename, dirname, join, resolve } from "path";
import { refuse } from "./errors";

/** What marks a temporary file: `<final name>.tmp-<pid>-<unique>`. */
const TEMP_MARK = ".tmp-";
let written = 0;

const WRITE_FIX: Record<string, string> = {
  ENOSPC: "the disk is full: free some space or write elsewhere",
  EDQUOT: "the disk quota is used up: free some space or write elsewhere",
  EACCES: "this user may not write there: change the folder's permissions or write elsewhere",
  EPERM: "writing there is not permitted: write elsewhere",
  EROFS: "the file system is read-only: write elsewhere",
  ENOENT: "the folder does not exist (or cannot hold files): check the path",
  ENOTDIR: "a part of the path is a file, not a folder: check the path",
  EISDIR: "a folder has the file's name: remove it or choose another name",
};

function cannotWrite(file: string, at: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code ?? "error";
  return refuse(file, at, `cannot write (${code})`, WRITE_FIX[code] ?? `check the path (${(e as Error).message})`);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never made
  }
}

/** True when process `pid` is running (EPERM: it runs as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A fresh temporary name beside `path`. */
export function tempPathFor(path: string): string {
  return `${path}${TEMP_MARK}${process.pid}-${Date.now().toString(36)}-${written++}`;
}

/** Remove the temporary files that writers no longer running left beside `paths`; returns their names. */
export function removeStaleTemps(paths: string[]): string[] {
  const removed: string[] = [];
  const byDir = new Map<string, string[]>();
  for (const p of paths) byDir.set(dirname(p), [...(byDir.get(dirname(p)) ?? []), basename(p) + TEMP_MARK]);
  for (const [dir, prefixes] of byDir) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const prefix = prefixes.find((q) => name.startsWith(q));
      const pid = prefix === undefined ? NaN : Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
      if (!Number.isInteger(pid) || pid === process.pid || isRunning(pid)) continue;
      removeQuietly(join(dir, name));
      removed.push(join(dir, name));
    }
  }
  return removed;
}

/**
 * Make `dir` and whichever of its parents are missing, one level at a time, refusing (naming the
 * level) where one cannot be made.
 */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); !isDirectory(p); p = dirname(p)) {
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && isDirectory(level)) continue;
      const exists = (e as NodeJS.ErrnoException).code === "EEXIST";
      refuse(
        level,
        `making ${dir}`,
        exists ? "a file has the folder's name" : `cannot create the folder (${(e as NodeJS.ErrnoException).code ?? "error"})`,
        exists ? "remove the file or choose another folder" : "choose a folder this user can create files in",
      );
    }
  }
}

/** The file that shows a folder takes files (made and removed at once; a killed run's is stale like any temporary file). */
const PROBE = ".adm-write-check";

/** Make the folders of `paths`, check each takes a file, and remove stale temporary files beside them. */
export function prepareOutput(paths: string[]): void {
  const dirs = new Set(paths.map((p) => dirname(resolve(p))));
  for (const dir of dirs) {
    ensureDir(dir);
    const probe = tempPathFor(join(dir, PROBE));
    try {
      closeSync(openSync(probe, "wx"));
    } catch (e) {
      cannotWrite(dir, "a test file", e);
    }
    removeQuietly(probe);
  }
  removeStaleTemps([...paths, ...[...dirs].map((d) => join(d, PROBE))]);
}

/** Write all of `bytes` at the descriptor's current position. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** A complete file under a temporary name beside `path`, waiting to be renamed into place. */
export interface StagedFile {
  readonly path: string;
  readonly tmp: string;
  /** Rename it over `path` (then flush the folder); a failed rename removes the temporary file. */
  commit(): void;
  /** Remove the temporary file (when a write that belongs with it failed). */
  discard(): void;
}

/**
 * Write the next content of `path` to a temporary file beside it: `write` gets its descriptor; the
 * file is flushed to disk before this returns. Nothing is at `path` until `commit()`. Stale
 * temporary files of `path` are removed first. Errors name the file and what to change.
 */
export function stageFile(path: string, write: (fd: number) => void): StagedFile {
  removeStaleTemps([path]);
  const tmp = tempPathFor(path);
  let fd: number;
  try {
    fd = openSync(tmp, "wx");
  } catch (e) {
    cannotWrite(path, "a temporary file beside it", e);
  }
  try {
    write(fd);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    removeQuietly(tmp);
    if ((e as NodeJS.ErrnoException).code) cannotWrite(path, "writing", e);
    throw e;
  }
  closeSync(fd);
  let settled = false;
  return {
    path,
    tmp,
    commit() {
      if (settled) return;
      settled = true;
      try {
        renameSync(tmp, path);
      } catch (e) {
        removeQuietly(tmp);
        cannotWrite(path, "the rename into place", e);
      }
      syncFolder(dirname(path));
    },
    discard() {
      if (settled) return;
      settled = true;
      removeQuietly(tmp);
    },
  };
}

/** Flush a folder's entries, so a rename survives a power cut (where the file system allows it). */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // not every file system lets a folder be flushed; the rename itself is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Stage the bytes (or UTF-8 text) `data` as the next content of `path`. */
export function stageBytes(path: string, data: Uint8Array | string): StagedFile {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return stageFile(path, (fd) => writeAll(fd, bytes));
}

/** Write `path` atomically: readers never see a half-written file. */
export function atomicWrite(path: string, write: (fd: number) => void): void {
  stageFile(path, write).commit();
}

/** Write bytes or UTF-8 text to `path` atomically. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  stageBytes(path, data).commit();
}

/**
 * Stage several files together: `stage` makes each StagedFile; if one fails, those already staged
 * are discarded and nothing is committed. The caller commits them in the order that keeps the set
 * consistent ({@link commitInOrder}, saying which rename is the commit point).
 */
export function stageAll(stages: (() => StagedFile)[]): StagedFile[] {
  const done: StagedFile[] = [];
  try {
    for (const s of stages) done.push(s());
  } catch (e) {
    for (const f of done) f.discard();
    throw e;
  }
  return done;
}

/**
 * Commit staged files in the order given (the caller says which rename is the commit point); when
 * one rename fails, the files after it are discarded, so no temporary file stays behind.
 */
export function commitInOrder(files: StagedFile[]): void {
  files.forEach((f, i) => {
    try {
      f.commit();
    } catch (e) {
      for (const rest of files.slice(i + 1)) rest.discard();
      throw e;
    }
  });
}
