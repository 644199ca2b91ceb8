/** Positioned reads from an open file (never the whole file in memory); writes are in write-files.ts. */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "fs";
import { REDOWNLOAD, isCount, refuse } from "./errors";

const OPEN_FIX: Record<string, string> = {
  ENOENT: "check the path: no such file",
  EISDIR: "give a file, not a directory",
  EACCES: "the file is not readable by this user: change its permissions",
  EMFILE: "too many files are open in this process: close some",
};

function cannotOpen(path: string, what: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code ?? "error";
  refuse(path, "open", `cannot read ${what} (${code})`, OPEN_FIX[code] ?? `check the path and the file (${(e as Error).message})`);
}

/** Open `path` (a `what`, for messages) for reading; returns its descriptor and size. Errors name the file. */
export function openRead(path: string, what = "the file"): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    cannotOpen(path, what, e);
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    refuse(path, "open", `cannot read ${what} (it is not a regular file)`, "give the path of a file");
  }
  return { fd, size: stat.size };
}

/** The whole of a small file (an .npy, an IDX file: a `what`, for messages). Errors name the file. */
export function readWhole(path: string, what = "the file"): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    cannotOpen(path, what, e);
  }
}

/** Fill `into` from `fd` at byte `position`; throws naming `path` on a short read. */
export function readExact(fd: number, path: string, into: Uint8Array, position: number): void {
  if (!isCount(position)) refuse(path, `byte ${position}`, "a read outside the file was asked for", REDOWNLOAD);
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) refuse(path, `byte ${position + done}`, "unexpected end of file (the file is truncated)", REDOWNLOAD);
    done += n;
  }
}

/** `length` bytes of `fd` at `position` (the caller has checked both against the file's size). */
export function readAt(fd: number, path: string, position: number, length: number): Buffer {
  if (!isCount(length)) refuse(path, `byte ${position}`, `a read of ${length} bytes was asked for`, REDOWNLOAD);
  const b = Buffer.alloc(length);
  readExact(fd, path, b, position);
  return b;
}
