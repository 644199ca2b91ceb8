/**
 * Download OpenAI's released guided-diffusion checkpoints (lib/models/adm-catalogue.ts):
 *   adm-ts fetch-adm 64x64                 the 64x64 model and its classifier
 *   adm-ts fetch-adm 256x256-uncond        the unconditional 256x256 model and the 256x256 classifier
 *   adm-ts fetch-adm 64x64_classifier      one file; "all" for every one (about 14 GiB)
 * Resumable (an interrupted run continues where it stopped), SHA-256 checked, atomically renamed.
 * OpenAI publishes no digests: the first download records its SHA-256 in <dir>/SHA256SUMS, and later
 * downloads and files already there are checked against it.
 */
import { existsSync, mkdirSync } from "fs";
import { join } from "path";
import { admCheckpointDir, download, recordedSha256, recordSha256, sha256File } from "../lib/io/index";
import { formatBytes } from "../lib/io/limits";
import { admCheckpointsFor, ReleasedCheckpoint } from "../lib/models/index";
import { progress, Progress } from "../lib/viz/index";
import { parseFlags, UsageError } from "./cli-args";

const USAGE =
  "usage: adm-ts fetch-adm <configuration | checkpoint | all>... [flags]\n" +
  "configurations: 64x64, 128x128, 256x256, 256x256-uncond, 512x512 (a model and its classifier)";

const SPEC = {
  dir: { type: "string" as const, help: "folder for the checkpoints (default: ADM_CHECKPOINT_DIR, else ~/.cache/adm-ts/guided-diffusion)" },
  "stall-s": { type: "number" as const, default: 60, help: "give up on a connection that sends nothing for this many seconds" },
  retries: { type: "number" as const, default: 5, help: "resume a broken transfer this many times before giving up" },
  "base-url": { type: "string" as const, help: "fetch from this folder URL instead of OpenAI's (a mirror)" },
};

/** Check a file already in place against its recorded digest, or record one. */
async function checkExisting(c: ReleasedCheckpoint, dir: string, expected: string | null): Promise<void> {
  const file = join(dir, c.file);
  console.log(`${c.file}: already in ${dir}; checking its SHA-256 ...`);
  const sha = await sha256File(file);
  if (expected && sha !== expected) {
    throw new Error(`${file} has SHA-256 ${sha}, but ${expected} was recorded when it was downloaded: the file is damaged; delete it and run fetch-adm again`);
  }
  if (!expected) recordSha256(dir, c.file, sha);
  console.log(`${c.file}: ${expected ? "SHA-256 matches the recorded one" : `recorded SHA-256 ${sha}`}`);
}

async function fetchOne(c: ReleasedCheckpoint, dir: string, flags: { stallS: number; retries: number; baseUrl?: string }): Promise<void> {
  const expected = c.sha256 ?? recordedSha256(dir, c.file);
  if (existsSync(join(dir, c.file))) return checkExisting(c, dir, expected);
  const url = flags.baseUrl ? new URL(c.file, flags.baseUrl.endsWith("/") ? flags.baseUrl : `${flags.baseUrl}/`).toString() : c.url;
  const size = c.weightBytes === null ? "" : ` (about ${formatBytes(c.weightBytes)})`;
  console.log(`${c.file}: downloading ${url}${size}`);
  let bar: Progress | null = null;
  let shownMiB = 0;
  const r = await download(url, join(dir, c.file), {
    sha256: expected,
    stallMs: flags.stallS * 1000,
    retries: flags.retries,
    onProgress(received, total) {
      if (!bar && total !== null) bar = progress(`${c.file} (MiB)`, Math.ceil(total / 2 ** 20));
      const mib = Math.floor(received / 2 ** 20);
      if (bar && mib > shownMiB) bar.tick(mib - shownMiB);
      shownMiB = Math.max(shownMiB, mib);
    },
  });
  (bar as Progress | null)?.done();
  if (!expected) recordSha256(dir, c.file, r.sha256);
  const resumed = r.resumedFrom > 0 ? `, resumed from ${formatBytes(r.resumedFrom)}` : "";
  console.log(`${c.file}: ${formatBytes(r.bytes)}${resumed}, SHA-256 ${r.sha256} ${expected ? "(matches)" : "(recorded in SHA256SUMS)"}`);
}

export async function main(argv: string[]): Promise<void> {
  const f = parseFlags(argv, SPEC, USAGE, [1, Infinity]);
  if (!f) return;
  let wanted: ReleasedCheckpoint[];
  try {
    wanted = f._.flatMap(admCheckpointsFor);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const dir = (f.dir as string | undefined) ?? admCheckpointDir();
  mkdirSync(dir, { recursive: true });
  for (const c of wanted) {
    await fetchOne(c, dir, { stallS: f["stall-s"] as number, retries: f.retries as number, baseUrl: f["base-url"] as string | undefined });
  }
}
