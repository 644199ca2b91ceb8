#!/usr/bin/env node
// Download the full Fashion-MNIST (70,000 images) into datasets/fashion-mnist-full (or DIR), verify
// each file by the SHA-256 of its decompressed bytes (so any gzip of the same data passes), and
// write it atomically (temp file + rename). Needs internet; our CI machines use Debian's
// dataset-fashion-mnist package instead.
//   node scripts/fetch-fashion-mnist.js [DIR] [--base URL]
require("./register");
const fs = require("fs"),
  path = require("path"),
  zlib = require("zlib"),
  crypto = require("crypto");
const { prepareOutput, writeFileAtomic } = require("../lib/io/write-files.ts");

const FILES = {
  "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
  "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
  "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
  "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
};
const DEFAULT_BASE = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

function args() {
  const a = process.argv.slice(2);
  if (a.includes("--help") || a.includes("-h")) {
    console.log(
      "usage: node scripts/fetch-fashion-mnist.js [DIR] [--base URL]\n" +
        "Downloads Fashion-MNIST into DIR (default datasets/fashion-mnist-full) and verifies SHA-256 checksums.",
    );
    process.exit(0);
  }
  const i = a.indexOf("--base");
  const base = i >= 0 ? a.splice(i, 2)[1] : DEFAULT_BASE;
  if (!base) throw new Error("--base needs a URL");
  return { dir: path.resolve(a[0] || path.join(__dirname, "../datasets/fashion-mnist-full")), base };
}

/** SHA-256 of the decompressed content; throws with the file name when it does not match. */
function verify(name, gz) {
  let raw;
  try {
    raw = zlib.gunzipSync(gz);
  } catch (e) {
    throw new Error(`${name}: not valid gzip (${e.message}); the download is corrupt`, { cause: e });
  }
  const got = crypto.createHash("sha256").update(raw).digest("hex");
  if (got !== FILES[name]) throw new Error(`${name}: checksum mismatch (sha256 of content ${got}, expected ${FILES[name]})`);
}

async function main() {
  const { dir, base } = args();
  prepareOutput(Object.keys(FILES).map((name) => path.join(dir, name)));
  for (const name of Object.keys(FILES)) {
    const dest = path.join(dir, name);
    if (fs.existsSync(dest)) {
      verify(name, fs.readFileSync(dest));
      console.log(`ok      ${dest} (already present, checksum verified)`);
      continue;
    }
    const url = new URL(name, base.endsWith("/") ? base : base + "/").toString();
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const gz = Buffer.from(await res.arrayBuffer());
    verify(name, gz);
    writeFileAtomic(dest, gz);
    console.log(`fetched ${dest} (${gz.length} bytes, checksum verified)`);
  }
  console.log(`Fashion-MNIST is in ${dir}; the library finds it there (or set ADM_FASHION_MNIST=${dir}).`);
}

main().catch((e) => {
  console.error(`fetch-fashion-mnist: ${e.message}`);
  process.exit(1);
});
