import { spawn } from "child_process";
import { randomBytes } from "crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { sha256File } from "../../lib/io/download";

const ADM = resolve(__dirname, "../../scripts/adm.js");

/** Run the CLI without blocking this process's event loop (the test's server answers it). */
function run(args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn("node", [ADM, ...args], { env: { ...process.env, ADM_CHECKPOINT_DIR: "" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (status) => done({ status, out }));
  });
}

const FILES: Record<string, Buffer> = { "/64x64_diffusion.pt": randomBytes(70_000), "/64x64_classifier.pt": randomBytes(20_000) };

test("adm-ts fetch-adm 64x64 fetches the model and its classifier, records their SHA-256, and checks them on the next run", async () => {
  const served: string[] = [];
  const server = http.createServer((req, res) => {
    served.push(req.url!);
    const body = FILES[req.url!];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Length": body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const dir = mkdtempSync(join(tmpdir(), "fetch-adm-"));
  try {
    const first = await run(["fetch-adm", "64x64", "--dir", dir, "--base-url", base]);
    expect(first.status).toBe(0);
    expect(served).toEqual(["/64x64_diffusion.pt", "/64x64_classifier.pt"]);
    for (const [name, body] of Object.entries(FILES)) expect(readFileSync(join(dir, name)).equals(body)).toBe(true);
    const sums = readFileSync(join(dir, "SHA256SUMS"), "utf8");
    expect(sums).toBe(
      `${await sha256File(join(dir, "64x64_diffusion.pt"))}  64x64_diffusion.pt\n${await sha256File(join(dir, "64x64_classifier.pt"))}  64x64_classifier.pt\n`,
    );
    expect(first.out).toMatch(/64x64_diffusion\.pt: downloading http:\/\/127\.0\.0\.1:\d+\/64x64_diffusion\.pt \(about 1\.10 GiB\)/);
    expect(first.out).toMatch(/64x64_classifier\.pt: 19\.5 KiB, SHA-256 [0-9a-f]{64} \(recorded in SHA256SUMS\)/);

    const again = await run(["fetch-adm", "64x64", "--dir", dir, "--base-url", base]);
    expect(again.status).toBe(0);
    expect(served).toHaveLength(2);
    expect(again.out).toMatch(/64x64_diffusion\.pt: SHA-256 matches the recorded one/);

    // a damaged file is found, and left for the user to delete
    writeFileSync(join(dir, "64x64_classifier.pt"), randomBytes(20_000));
    const damaged = await run(["fetch-adm", "64x64_classifier", "--dir", dir, "--base-url", base]);
    expect(damaged.status).toBe(1);
    expect(damaged.out).toMatch(
      /error: .*64x64_classifier\.pt has SHA-256 [0-9a-f]{64}, but [0-9a-f]{64} was recorded when it was downloaded: the file is damaged; delete it and run fetch-adm again/,
    );
  } finally {
    server.close();
  }

  // nothing listens there any more: the network message, and no file
  const offline = mkdtempSync(join(tmpdir(), "fetch-adm-"));
  const unreachable = await run(["fetch-adm", "128x128", "--dir", offline, "--base-url", base]);
  expect(unreachable.status).toBe(1);
  expect(unreachable.out).toMatch(/error: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\): this machine has no network route to it/);
  expect(readdirSync(offline)).toEqual([]);
});

test("an unknown name is a usage error listing what can be fetched", async () => {
  const r = await run(["fetch-adm", "1024x1024"]);
  expect(r.status).toBe(2);
  expect(r.out).toMatch(/unknown checkpoint "1024x1024": give a configuration \(64x64, 128x128, 256x256, 256x256-uncond, 512x512\)/);
});
