import { createHash, randomBytes } from "crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import * as http from "http";
import { AddressInfo, Socket } from "net";
import { tmpdir } from "os";
import * as path from "path";
import { download, NetworkUnreachableError, recordedSha256, recordSha256, sha256File } from "../../lib/io/download";

const FILE = randomBytes(300_000);
const SHA = createHash("sha256").update(FILE).digest("hex");

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

/** A server on 127.0.0.1 whose n-th request (0-based) is answered by `behaviour`; it records each Range header. */
async function serve(behaviour: Behaviour): Promise<{ url: string; ranges: (string | undefined)[]; close: () => Promise<void> }> {
  const ranges: (string | undefined)[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    ranges.push(req.headers.range);
    behaviour(req, res, ranges.length - 1);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/64x64_diffusion.pt`,
    ranges,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answer with FILE from the request's Range start (206), or whole (200). */
function sendFrom(req: http.IncomingMessage, res: http.ServerResponse, opts: { cutAfter?: number; ignoreRange?: boolean } = {}): void {
  const m = /bytes=(\d+)-/.exec(req.headers.range ?? "");
  const start = m && !opts.ignoreRange ? Number(m[1]) : 0;
  const body = FILE.subarray(start);
  const headers: http.OutgoingHttpHeaders = { "Content-Length": body.length, "Accept-Ranges": "bytes" };
  if (start > 0) headers["Content-Range"] = `bytes ${start}-${FILE.length - 1}/${FILE.length}`;
  res.writeHead(start > 0 ? 206 : 200, headers);
  if (opts.cutAfter === undefined) return void res.end(body);
  // send part of the body, then drop the connection mid-transfer
  res.write(body.subarray(0, opts.cutAfter), () => setTimeout(() => res.socket?.destroy(), 20));
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function dest(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "adm-download-"));
  dirs.push(dir);
  return path.join(dir, "64x64_diffusion.pt");
}

test("a whole transfer lands under the final name with its SHA-256 checked, and no .part is left", async () => {
  const s = await serve((req, res) => sendFrom(req, res));
  const to = dest();
  const seen: number[] = [];
  const r = await download(s.url, to, { sha256: SHA, onProgress: (n) => seen.push(n) });
  await s.close();
  expect(r).toEqual({ path: to, bytes: FILE.length, sha256: SHA, resumedFrom: 0 });
  expect(readFileSync(to).equals(FILE)).toBe(true);
  expect(existsSync(`${to}.part`)).toBe(false);
  expect(seen[seen.length - 1]).toBe(FILE.length);
  expect(s.ranges).toEqual([undefined]);
});

test("an interrupted transfer resumes with an HTTP Range request, within one call and in the next call", async () => {
  // within one call: the first response breaks after 100 000 bytes, the retry asks for the rest
  const s = await serve((req, res, n) => sendFrom(req, res, n === 0 ? { cutAfter: 100_000 } : {}));
  const to = dest();
  const r = await download(s.url, to, { sha256: SHA });
  expect(readFileSync(to).equals(FILE)).toBe(true);
  expect(r.bytes).toBe(FILE.length);
  expect(s.ranges).toEqual([undefined, "bytes=100000-"]);
  await s.close();

  // across calls: no retries, so the first call fails leaving the part; the second resumes it
  const s2 = await serve((req, res, n) => sendFrom(req, res, n === 0 ? { cutAfter: 120_000 } : {}));
  const to2 = dest();
  await expect(download(s2.url, to2, { sha256: SHA, retries: 0 })).rejects.toThrow(
    /download failed after 1 tries \(the connection kept breaking\); 120000 bytes are kept in .*64x64_diffusion\.pt\.part: run the same command again to resume/,
  );
  expect(existsSync(to2)).toBe(false);
  expect(statSync(`${to2}.part`).size).toBe(120_000);
  const r2 = await download(s2.url, to2, { sha256: SHA });
  await s2.close();
  expect(r2.resumedFrom).toBe(120_000);
  expect(r2.sha256).toBe(SHA);
  expect(readFileSync(to2).equals(FILE)).toBe(true);
  expect(s2.ranges).toEqual([undefined, "bytes=120000-"]);
});

test("a server that ignores the Range header is followed from byte 0", async () => {
  const s = await serve((req, res, n) => sendFrom(req, res, n === 0 ? { cutAfter: 50_000 } : { ignoreRange: true }));
  const to = dest();
  await download(s.url, to, { sha256: SHA });
  await s.close();
  expect(readFileSync(to).equals(FILE)).toBe(true);
});

test("a checksum mismatch is rejected and leaves nothing under the final name (nor a part)", async () => {
  const s = await serve((req, res) => sendFrom(req, res));
  const to = dest();
  const wrong = "0".repeat(64);
  await expect(download(s.url, to, { sha256: wrong })).rejects.toThrow(
    /SHA-256 mismatch: expected 0{64}, the download gives [0-9a-f]{64}; the downloaded bytes were deleted, nothing was written to/,
  );
  await s.close();
  expect(existsSync(to)).toBe(false);
  expect(existsSync(`${to}.part`)).toBe(false);
});

test("a server that stalls mid-transfer times out with a message, keeping the bytes for a resume", async () => {
  // headers and 10 000 bytes, then silence (the connection stays open)
  const s = await serve((req, res) => {
    res.writeHead(200, { "Content-Length": FILE.length });
    res.write(FILE.subarray(0, 10_000));
  });
  const to = dest();
  const started = Date.now();
  await expect(download(s.url, to, { sha256: SHA, stallMs: 200, retries: 1 })).rejects.toThrow(
    /download failed after 2 tries \(the server sent nothing for 0.2 s\)/,
  );
  expect(Date.now() - started).toBeLessThan(5000);
  await s.close();
  expect(existsSync(to)).toBe(false);
  expect(existsSync(`${to}.part`)).toBe(true);
});

test("an unreachable host says so, names it, and says how to get the file there", async () => {
  const s = await serve((req, res) => sendFrom(req, res));
  const url = s.url;
  await s.close(); // nothing listens on that port now
  const to = dest();
  const e = await download(url, to).catch((x) => x);
  expect(e).toBeInstanceOf(NetworkUnreachableError);
  expect(existsSync(`${to}.part`)).toBe(false);
  expect(e.message).toMatch(
    /^cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\): this machine has no network route to it\. Download http:\/\/127\.0\.0\.1:\d+\/64x64_diffusion\.pt on a machine that has, and copy it to .*64x64_diffusion\.pt$/,
  );
  expect(existsSync(to)).toBe(false);
});

test("HTTP errors name the status", async () => {
  const s = await serve((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  await expect(download(s.url, dest())).rejects.toThrow(/the server answered HTTP 404 Not Found/);
  await s.close();
});

test("SHA256SUMS records a digest per file, replacing an older one, and sha256File reads it back", async () => {
  const to = dest();
  const dir = path.dirname(to);
  writeFileSync(to, FILE);
  expect(recordedSha256(dir, "64x64_diffusion.pt")).toBeNull();
  recordSha256(dir, "64x64_diffusion.pt", "a".repeat(64));
  recordSha256(dir, "64x64_classifier.pt", "b".repeat(64));
  recordSha256(dir, "64x64_diffusion.pt", await sha256File(to));
  expect(recordedSha256(dir, "64x64_diffusion.pt")).toBe(SHA);
  expect(recordedSha256(dir, "64x64_classifier.pt")).toBe("b".repeat(64));
  expect(readFileSync(path.join(dir, "SHA256SUMS"), "utf8")).toBe(`${"b".repeat(64)}  64x64_classifier.pt\n${SHA}  64x64_diffusion.pt\n`);
});
