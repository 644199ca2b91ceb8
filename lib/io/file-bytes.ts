/** Positioned reads from an open file (never the whole file in memory) and atomic writes. */
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from "fs";

/** A file open for reading: its descriptor, and its path for error messages. */
export interface OpenFile {
  fd: number;
  path: string;
}

/** Fill `into` from `file` at byte `position`; throws naming the file on a short read. */
export function readExact(file: OpenFile, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(file.fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error(`${file.path}: unexpected end of file at byte ${position + done} (the file is truncated)`);
    done += n;
  }
}

/** The `length` bytes of `file` from byte `position`. */
export function readAt(file: OpenFile, { position, length }: { position: number; length: number }): Buffer {
  const b = Buffer.alloc(length);
  readExact(file, b, position);
  return b;
}

/** Write all of `bytes` at the descriptor's current position. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Write `path` atomically: `write` gets a descriptor to a temporary file next to it, which is
 * renamed over `path` only when `write` returns, so readers never see a half-written file.
 */
export function atomicWrite(path: string, write: (fd: number) => void): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, "w");
  try {
    write(fd);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
