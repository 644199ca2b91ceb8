/**
 * Download a large file over HTTP(S) so that nothing half-written ever stands under its final name:
 * bytes go to `<name>.part` in the same folder, a broken transfer resumes from where it stopped
 * (HTTP Range), the whole file's SHA-256 is checked, and only then is the part renamed into place.
 * A host that cannot be reached, a server that stops sending, and a wrong checksum each end with a
 * message saying what happened and what to do.
 */
import { createHash, Hash } from "crypto";
import { closeSync, createReadStream, existsSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "fs";
import * as http from "http";
import * as https from "https";
import { homedir } from "os";
import { basename, join } from "path";

export interface DownloadOptions {
  /** the expected SHA-256 (hex); when absent the digest is computed and returned, not checked */
  sha256?: string | null;
  /** give up on a connection that sends nothing for this long (default 30 000 ms) */
  stallMs?: number;
  /** how many times a broken or stalled transfer is resumed before giving up (default 5) */
  retries?: number;
  /** bytes received so far (resumed bytes included) and the file's size when the server says it */
  onProgress?: (received: number, total: number | null) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** bytes that were already in `<name>.part` from an earlier, interrupted transfer */
  resumedFrom: number;
}

/** Error codes meaning the host cannot be reached from here at all (no point in retrying). */
const UNREACHABLE = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "ENETDOWN"]);

/** Thrown for a host this machine cannot reach. */
export class NetworkUnreachableError extends Error {}

function unreachable(url: string, dest: string, code: string): NetworkUnreachableError {
  const host = new URL(url).host;
  return new NetworkUnreachableError(
    `cannot reach ${host} (${code}): this machine has no network route to it. Download ${url} on a machine that has, ` + `and copy it to ${dest}`,
  );
}

/** SHA-256 of the first `bytes` bytes of a file, read in pieces into `hash`. */
function hashPrefix(file: string, bytes: number, hash: Hash): Promise<void> {
  if (bytes === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    createReadStream(file, { start: 0, end: bytes - 1 })
      .on("data", (c) => hash.update(c))
      .on("end", () => resolve())
      .on("error", reject);
  });
}

interface Attempt {
  /** the server's total size, when it says */
  total: number | null;
  /** the transfer ended cleanly at the end of the file */
  complete: boolean;
  /** it ended because the server sent nothing for stallMs */
  stalled: boolean;
}

/**
 * One GET from `start` (a Range request when start > 0), appending to `fd` and feeding `hash`;
 * resolves when the body ends or the connection breaks (complete false), rejects on HTTP errors,
 * unreachable hosts and aborts. A server that ignores the Range and sends the whole file (200) is
 * followed from byte 0: `restart` truncates the part first.
 */
function attempt(
  url: string,
  dest: string,
  start: number,
  fd: number,
  hash: { current: Hash },
  opts: Required<Pick<DownloadOptions, "stallMs">> & DownloadOptions,
  received: (n: number, total: number | null) => void,
  restart: () => void,
  redirects = 0,
): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith("https:") ? https.get : http.get;
    let settled = false;
    const finish = (f: () => void) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        f();
      }
    };
    const req = get(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {} });
    let stalled = false;
    const stall = () => {
      stalled = true;
      req.destroy(new Error(`no data for ${opts.stallMs} ms`));
    };
    let timer = setTimeout(stall, opts.stallMs);
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(stall, opts.stallMs);
    };
    const ended = (total: number | null, complete: boolean) => finish(() => resolve({ total, complete, stalled }));
    const onAbort = () => req.destroy(new Error("aborted"));
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (opts.signal?.aborted) return finish(() => reject(opts.signal!.reason ?? new Error("the download was aborted")));
      if (e.code && UNREACHABLE.has(e.code)) return finish(() => reject(unreachable(url, dest, e.code!)));
      ended(null, false);
    });
    req.on("response", (res) => {
      alive();
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (redirects >= 5) return finish(() => reject(new Error(`${url}: more than 5 redirects`)));
        const next = new URL(res.headers.location, url).toString();
        return finish(() => attempt(next, dest, start, fd, hash, opts, received, restart, redirects + 1).then(resolve, reject));
      }
      if (status === 416 && start > 0) {
        // the part already holds every byte ("bytes */total" says how many there are)
        res.resume();
        const total = Number(/\*\/(\d+)/.exec(String(res.headers["content-range"] ?? ""))?.[1]);
        return ended(total === start ? total : null, total === start);
      }
      if (status !== 200 && status !== 206) {
        res.resume();
        return finish(() => reject(new Error(`${url}: the server answered HTTP ${status} ${res.statusMessage ?? ""}`.trim())));
      }
      let total: number | null = null;
      if (status === 206) {
        const m = /bytes (\d+)-\d+\/(\d+|\*)/.exec(String(res.headers["content-range"] ?? ""));
        if (!m || Number(m[1]) !== start) {
          res.resume();
          return finish(() =>
            reject(new Error(`${url}: the server resumed at the wrong byte (Content-Range ${res.headers["content-range"]}, asked for ${start})`)),
          );
        }
        total = m[2] === "*" ? null : Number(m[2]);
      } else {
        if (start > 0) restart();
        const length = Number(res.headers["content-length"]);
        total = Number.isFinite(length) ? length : null;
      }
      res.on("data", (chunk: Buffer) => {
        alive();
        writeSync(fd, chunk);
        hash.current.update(chunk);
        received(chunk.length, total);
      });
      res.on("end", () => ended(total, res.complete));
      res.on("error", () => ended(total, false));
      res.on("aborted", () => ended(total, false));
    });
  });
}

/**
 * Download `url` to `dest`, resuming `<dest>.part` if an earlier run left one. Resolves once `dest`
 * holds the whole file (renamed from the part, after its SHA-256 matched `sha256` when given).
 */
export async function download(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const opts = { stallMs: 30_000, retries: 5, ...options };
  const part = `${dest}.part`;
  let fd = openSync(part, "a");
  let have = fstatSync(fd).size;
  const resumedFrom = have;
  const hash = { current: createHash("sha256") };
  await hashPrefix(part, have, hash.current);
  const restart = () => {
    closeSync(fd);
    fd = openSync(part, "w");
    have = 0;
    hash.current = createHash("sha256");
  };
  let total: number | null = null;
  let failures = 0;
  try {
    for (;;) {
      const r = await attempt(
        url,
        dest,
        have,
        fd,
        hash,
        opts,
        (n, t) => {
          have += n;
          total = t;
          opts.onProgress?.(have, t);
        },
        restart,
      );
      if (r.total !== null) total = r.total;
      if (r.complete && (total === null || have === total)) break;
      if (++failures > opts.retries) {
        const why = r.stalled ? `the server sent nothing for ${opts.stallMs / 1000} s` : "the connection kept breaking";
        throw new Error(
          `${basename(dest)}: download failed after ${failures} tries (${why}); ${have} bytes are kept in ${part}: run the same command again to resume`,
        );
      }
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    // an empty part helps no later run
    if (have === 0) unlinkSync(part);
    throw e;
  }
  closeSync(fd);
  const sha256 = hash.current.digest("hex");
  if (opts.sha256 && opts.sha256.toLowerCase() !== sha256) {
    unlinkSync(part);
    throw new Error(
      `${basename(dest)}: SHA-256 mismatch: expected ${opts.sha256.toLowerCase()}, the download gives ${sha256}; the downloaded bytes were deleted, nothing was written to ${dest}. Download again; if it repeats, the file on the server has changed`,
    );
  }
  renameSync(part, dest);
  return { path: dest, bytes: have, sha256, resumedFrom };
}

/** The SHA-256 of a whole file (hex), read in pieces. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await hashPrefix(file, statSync(file).size, hash);
  return hash.digest("hex");
}

/** Where released checkpoints are kept: ADM_CHECKPOINT_DIR, else ~/.cache/adm-ts/guided-diffusion. */
export function admCheckpointDir(): string {
  const env = process.env.ADM_CHECKPOINT_DIR;
  return env && env.length > 0 ? env : join(homedir(), ".cache", "adm-ts", "guided-diffusion");
}

/** `<dir>/SHA256SUMS`, in sha256sum's format: the digests downloads have recorded. */
export function sha256SumsPath(dir: string): string {
  return join(dir, "SHA256SUMS");
}

/** The digest recorded for `file` (a name in `dir`), or null. */
export function recordedSha256(dir: string, file: string): string | null {
  const sums = sha256SumsPath(dir);
  if (!existsSync(sums)) return null;
  for (const line of readLines(sums)) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m && m[2] === file) return m[1];
  }
  return null;
}

/** Record (or replace) the digest of `file` in `<dir>/SHA256SUMS`, atomically. */
export function recordSha256(dir: string, file: string, sha256: string): void {
  const sums = sha256SumsPath(dir);
  const lines = existsSync(sums) ? readLines(sums).filter((l) => !l.endsWith(`  ${file}`)) : [];
  lines.push(`${sha256}  ${file}`);
  const tmp = `${sums}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  writeSync(fd, lines.join("\n") + "\n");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, sums);
}

function readLines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.length > 0);
}
