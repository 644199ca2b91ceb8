#!/usr/bin/env node
// Write the committed Fashion-MNIST subset (first 10,000 train and first 2,000 test examples) from a
// full copy of the data set (default: Debian's dataset-fashion-mnist) into datasets/fashion-mnist.
require("./register");
const fs = require("fs"),
  path = require("path"),
  zlib = require("zlib");
const { writeFileAtomic } = require("../lib/io/write-files.ts");
const src = process.argv[2] || "/usr/share/datasets/fashion-mnist";
const out = path.resolve(__dirname, "../datasets/fashion-mnist");
const keep = { "train-images-idx3-ubyte": 10000, "train-labels-idx1-ubyte": 10000, "t10k-images-idx3-ubyte": 2000, "t10k-labels-idx1-ubyte": 2000 };
for (const [stem, n] of Object.entries(keep)) {
  const buf = zlib.gunzipSync(fs.readFileSync(path.join(src, stem + ".gz")));
  const nd = buf[3],
    header = Buffer.from(buf.subarray(0, 4 + 4 * nd));
  let per = 1;
  for (let i = 1; i < nd; i++) per *= buf.readUInt32BE(4 + 4 * i);
  header.writeUInt32BE(n, 4);
  const body = buf.subarray(4 + 4 * nd, 4 + 4 * nd + n * per);
  const gz = zlib.gzipSync(Buffer.concat([header, body]), { level: 9 });
  writeFileAtomic(path.join(out, stem + ".gz"), gz);
  console.log(`${stem}.gz: ${n} examples, ${gz.length} bytes`);
}
