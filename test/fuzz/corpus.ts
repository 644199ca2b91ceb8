/**
 * The fuzz corpus: for each format a few valid seeds and format-aware mutations that get past the
 * framing (a mutated pickle is re-zipped with a correct CRC so the unpickler sees it; a mutated
 * safetensors header is re-serialised so the entry checks see it), next to the byte-level ones.
 * Each `next(rng)` returns one input file's bytes.
 */
import * as path from "path";
import { gzipSync, deflateRawSync } from "zlib";
import { decodeBudget } from "../../lib/io/limits";
import { npyHeader } from "../../lib/io/npy";
import { TensorRecord } from "../../lib/io/tensor-record";
import { ZipReader } from "../../lib/io/zip-reader";
import type { Rng } from "../../lib/rng";
import { gzipAround, idxBytes, Member, npyBytes, safetensorsBytes, zeroBombStream, zipBytes } from "../helpers/format-bytes";
import { op, stateDictPickle, TensorSpec } from "../helpers/pickle-bytes";
import { HOSTILE_U32, hostileJson, mutateBytes, pick } from "./mutate";

export type FormatName = "pt" | "safetensors" | "npy" | "npz" | "idx";

export interface Format {
  name: FormatName;
  ext: string;
  next(rng: Rng): Buffer;
}

const FIXTURE_PT = path.resolve(__dirname, "../fixtures/io/dtypes.pt");

/** The members of a zip we trust (a fixture), as name and bytes. */
function members(file: string): Member[] {
  const zip = new ZipReader(file);
  try {
    const budget = decodeBudget(file, zip.size);
    return [...zip.entries.values()].map((e) => ({ name: e.name, data: zip.read(e, budget) }));
  } finally {
    zip.close();
  }
}

/** Positions of the size, offset, count and name-length fields of a zip built by zipBytes. */
function zipFields(zip: Buffer): number[] {
  const end = zip.length - 22;
  const fields = [end + 8, end + 10, end + 12, end + 16, end + 20];
  let p = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10) && p + 46 <= end; i++) {
    const local = zip.readUInt32LE(p + 42);
    fields.push(...[10, 16, 20, 24, 28, 30, 32, 42].map((k) => p + k), ...[8, 14, 18, 22, 26, 28].map((k) => local + k));
    p += 46 + zip.readUInt16LE(p + 28) + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return fields.filter((f) => f + 4 <= zip.length);
}

function overwriteField(rng: Rng, zip: Buffer): Buffer {
  const b = Buffer.from(zip);
  const at = pick(rng, zipFields(b));
  const v = pick(rng, HOSTILE_U32);
  if (rng.uniform() < 0.5) b.writeUInt16LE(v & 0xffff, at);
  else b.writeUInt32LE(v, at);
  return b;
}

// ---- .pt --------------------------------------------------------------------------------------

const PT_MEMBERS = members(FIXTURE_PT);
const PKL = PT_MEMBERS.findIndex((m) => m.name.endsWith("data.pkl"));
const W: TensorSpec = { name: "w", storage: "FloatStorage", key: "0", numel: 6, offset: 0, shape: [2, 3], stride: [3, 1] };
const SIX = Buffer.from(new Float32Array([0, 1, 2, 3, 4, 5]).buffer);

/** Pickle snippets a state_dict never holds: foreign globals, object-building opcodes, self-containing ids. */
const HOSTILE_SNIPPETS: Buffer[] = [
  op.global("posix", "system"),
  op.global("builtins", "eval"),
  op.global("torch", "load"),
  Buffer.concat([op.str("os"), op.str("system"), Buffer.from([0x93])]),
  Buffer.from("iposix\nsystem\n", "latin1"), // INST
  Buffer.from([0x6f]), // OBJ
  Buffer.from([0x81]), // NEWOBJ
  Buffer.from([0x82, 0x01]), // EXT1
  Buffer.from("S'x'\n", "latin1"), // STRING
  Buffer.from("P0\n", "latin1"), // PERSID
  Buffer.concat([op.emptyList(), op.binput(9), op.binget(9), op.append(), op.binpersid()]), // a pid that contains itself
  Buffer.concat([op.int(1), Buffer.from([0x62])]), // BUILD
  Buffer.from([0x54, 0xfb, 0xff, 0xff, 0xff]), // BINSTRING, negative length
  Buffer.from([0x8b, 0xfb, 0xff, 0xff, 0xff]), // LONG4, negative length
  Buffer.from([0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), // BINUNICODE8, huge
];

function ptNext(rng: Rng): Buffer {
  const r = rng.uniform();
  const ms = PT_MEMBERS.map((m) => ({ ...m }));
  if (r < 0.25) return mutateBytes(rng, zipBytes(ms));
  if (r < 0.5) {
    // a mutated pickle behind a correct CRC
    ms[PKL].data = mutateBytes(rng, ms[PKL].data);
    return zipBytes(ms);
  }
  if (r < 0.7) {
    // a hostile snippet spliced in at a random place
    const pkl = ms[PKL].data;
    const at = 2 + rng.int(pkl.length - 2);
    ms[PKL].data = Buffer.concat([pkl.subarray(0, at), pick(rng, HOSTILE_SNIPPETS), pkl.subarray(at)]);
    return zipBytes(ms);
  }
  if (r < 0.8) {
    // different tensor values behind a correct CRC: must load, with those values
    const s = ms.findIndex((m) => /\/data\/\d+$/.test(m.name) && m.data.length > 0);
    ms[s].data = Buffer.from(ms[s].data);
    ms[s].data[rng.int(ms[s].data.length)] ^= 1 << rng.int(8);
    return zipBytes(rng.uniform() < 0.5 ? ms : ms.reverse());
  }
  // one field of an assembled tensor made hostile: numel, offset, shape, stride, key or storage type
  const t: TensorSpec = { ...W };
  const field = pick(rng, ["numel", "offset", "shape", "stride", "key", "storage"] as const);
  if (field === "numel" || field === "offset") t[field] = pick(rng, [-6, -1, 0, 7, 5e8, 2 ** 31, 2 ** 40, 2 ** 62]);
  else if (field === "shape" || field === "stride") t[field] = pick(rng, [[-2, -3], [6, 1], [2], [3, 2], [2 ** 40, 2 ** 40], ["4"], [1.5], []]);
  else if (field === "key") t.key = pick(rng, ["../0", "1", "0/../0", "", "0"]);
  else t.storage = pick(rng, ["ByteStorage", "ComplexFloatStorage", "UntypedStorage", "HalfStorage", "DoubleStorage"]);
  return zipBytes([
    { name: "archive/data.pkl", data: stateDictPickle([t]) },
    { name: "archive/data/0", data: SIX },
  ]);
}

// ---- .npy -------------------------------------------------------------------------------------

const NPY_SEEDS: TensorRecord[] = [
  { dtype: "float32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
  { dtype: "int64", shape: [2], data: new BigInt64Array([3n, -4n]) },
  { dtype: "uint8", shape: [], data: new Uint8Array([7]) },
  { dtype: "float64", shape: [0, 4], data: new Float64Array(0) },
];
const npyOf = (t: TensorRecord) => Buffer.concat([npyHeader(t, "seed"), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]);

const DESCRS = ["'<f4'", "'<f8'", "'|u1'", "'<c8'", "'>f4'", "'|O'", "'<U3'", "''", "123", "[('a', '<f4')]", "'<f4' 'x'", '"<i8"'];
const SHAPES = [
  "()",
  "(6,)",
  "(2, 3)",
  "(-1,)",
  "(1.5,)",
  "(2**40,)",
  "(1099511627776, 1099511627776)",
  "[2, 3]",
  "'6'",
  "(3L, 2L)",
  "(2, 3",
  "((2,),)",
  "(" + "(".repeat(30) + ")".repeat(31),
];
const FORTRAN = ["False", "True", "0", "'False'", "None"];

/** A header dict text made of valid and hostile parts, maybe with a decoy, an extra key or a duplicate. */
function npyHeaderText(rng: Rng): string {
  const parts = [`'descr': ${pick(rng, DESCRS)}`, `'fortran_order': ${pick(rng, FORTRAN)}`, `'shape': ${pick(rng, SHAPES)}`];
  const extra = rng.int(6);
  if (extra === 0) parts.push(`'note': "'descr': '<i8'"`);
  if (extra === 1) parts.push(parts[0]);
  if (extra === 2) parts.splice(rng.int(3), 1);
  if (extra === 3) parts.reverse();
  return `{${parts.join(", ")}${rng.uniform() < 0.5 ? ", " : ""}}`;
}

/** A valid header in one of the spellings numpy accepts (key order, quotes, spacing, version), with its data. */
function validNpy(rng: Rng): Buffer {
  const shape = Array.from({ length: rng.int(4) }, () => rng.int(4));
  const [descr, size] = pick(rng, [
    ["<f4", 4],
    ["<f8", 8],
    ["|u1", 1],
    ["<i8", 8],
    ["|b1", 1],
    ["<f2", 2],
  ] as const);
  const q = rng.uniform() < 0.5 ? "'" : '"';
  const sp = pick(rng, ["", " ", "  "]);
  const parts = [
    `${q}descr${q}:${sp}${q}${descr}${q}`,
    `${q}fortran_order${q}:${sp}False`,
    `${q}shape${q}:${sp}(${shape.join(", ")}${shape.length === 1 ? "," : ""})`,
  ];
  if (rng.uniform() < 0.5) parts.reverse();
  const n = shape.reduce((a, b) => a * b, 1);
  return npyBytes(`{${parts.join(`,${sp}`)}${rng.uniform() < 0.5 ? ", " : ""}}`.padEnd(rng.int(120), " "), Buffer.alloc(n * size, 0x3c), pick(rng, [1, 2, 3]));
}

function npyNext(rng: Rng): Buffer {
  const seed = npyOf(pick(rng, NPY_SEEDS));
  if (rng.uniform() < 0.1) return validNpy(rng);
  if (rng.uniform() < 0.4) return mutateBytes(rng, seed);
  const data = Buffer.alloc(pick(rng, [0, 1, 6, 8, 24, 48, 100]));
  const major = pick(rng, [1, 1, 2, 3]);
  const bytes = npyBytes(npyHeaderText(rng), data, major);
  return rng.uniform() < 0.2 ? mutateBytes(rng, bytes) : bytes;
}

// ---- .npz -------------------------------------------------------------------------------------

const NPZ_MEMBERS: Member[] = NPY_SEEDS.map((t, i) => ({ name: `a${i}.npy`, data: npyOf(t) }));
const TRAVERSAL = ["../a.npy", "/abs.npy", "a/../../b.npy", "C:/x.npy", "a\\b.npy", "", "x\0.npy", "a0.npy"];

function npzNext(rng: Rng): Buffer {
  const deflate = rng.uniform() < 0.5;
  const ms: Member[] = NPZ_MEMBERS.map((m) => ({ ...m, deflate }));
  const r = rng.uniform();
  if (r < 0.25) return mutateBytes(rng, zipBytes(ms));
  if (r < 0.4) return overwriteField(rng, zipBytes(ms));
  const m = ms[rng.int(ms.length)];
  const lie = rng.int(8);
  if (lie === 0) m.size = pick(rng, [0, 1, m.data.length - 1, m.data.length + 1, 2 * m.data.length, 0xffffffff, 0x80000000]);
  else if (lie === 1) m.crc = pick(rng, HOSTILE_U32);
  else if (lie === 2) m.name = pick(rng, TRAVERSAL);
  else if (lie === 3) {
    // a bomb, declared honestly or not
    const mib = pick(rng, [1, 16, 256]);
    m.raw = Buffer.concat([deflateRawSync(m.data, { finishFlush: 2 }), zeroBombStream(mib)]);
    m.size = pick(rng, [m.data.length, m.data.length + mib * (1 << 20), 0xfffffff0]);
  } else if (lie === 4) {
    // a corrupt deflate stream
    m.raw = mutateBytes(rng, deflateRawSync(m.data));
  } else {
    // a hostile npy inside an honest member (its CRC is right)
    m.data = npyBytes(npyHeaderText(rng), Buffer.alloc(pick(rng, [0, 8, 24])), pick(rng, [1, 2]));
  }
  return zipBytes(ms);
}

// ---- safetensors ------------------------------------------------------------------------------

const ST_HEADER = {
  __metadata__: { format: "pt", step: "7" },
  a: { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] },
  b: { dtype: "I64", shape: [2], data_offsets: [24, 40] },
  c: { dtype: "F16", shape: [], data_offsets: [40, 42] },
  d: { dtype: "U8", shape: [0], data_offsets: [42, 42] },
};
const ST_DATA = Buffer.from(Array.from({ length: 42 }, (_, i) => i));
const DTYPE_CODES = ["F32", "F64", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "F8_E4M3", "C64", "f32", "", "U64"];

function safetensorsNext(rng: Rng): Buffer {
  const seed = safetensorsBytes(ST_HEADER, ST_DATA);
  const r = rng.uniform();
  if (r < 0.3) return mutateBytes(rng, seed);
  const header = JSON.parse(JSON.stringify(ST_HEADER)) as Record<string, Record<string, unknown>>;
  const name = pick(rng, ["a", "b", "c", "d", "__metadata__"]);
  const e = header[name];
  const what = rng.int(8);
  if (name === "__metadata__") header.__metadata__ = pick(rng, [{ step: 7 }, "x", null, [], { a: { b: 1 } }]) as Record<string, unknown>;
  else if (what === 0) e.dtype = pick(rng, [...DTYPE_CODES, hostileJson(rng)]);
  else if (what === 1) e.shape = pick(rng, [hostileJson(rng), [3, 3], [6], [2, -3], [1.5, 4]]);
  else if (what === 2) e.data_offsets = hostileJson(rng);
  else if (what === 3) {
    // shift, swap or stretch the byte range
    const [b0, b1] = e.data_offsets as number[];
    e.data_offsets = pick(rng, [
      [b0 + 1, b1 + 1],
      [b1, b0],
      [b0 - 16, b1 - 16],
      [b0, b1 + 8],
      [0, b1 - b0],
      [b0, 2 ** 53],
    ]);
  } else if (what === 4) delete e[pick(rng, ["dtype", "shape", "data_offsets"])];
  else if (what === 5) header[name] = hostileJson(rng) as Record<string, unknown>;
  else if (what === 6)
    header[`${name}2`] = { ...e }; // a second tensor over the same bytes
  else e.extra = 1;
  const data = rng.uniform() < 0.2 ? ST_DATA.subarray(0, rng.int(ST_DATA.length)) : ST_DATA;
  return safetensorsBytes(header, data);
}

// ---- IDX --------------------------------------------------------------------------------------

const IDX_IMAGES = idxBytes([3, 4, 5], Buffer.from(Array.from({ length: 60 }, (_, i) => i * 4)));
const IDX_LABELS = idxBytes([10], Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));

function idxNext(rng: Rng): Buffer {
  const seed = pick(rng, [IDX_IMAGES, IDX_LABELS]);
  const r = rng.uniform();
  if (r < 0.3) return mutateBytes(rng, seed);
  if (r < 0.5) return mutateBytes(rng, gzipSync(seed));
  if (r < 0.8) {
    // hostile dims, dimension count or type byte
    const dims = Array.from({ length: 1 + rng.int(4) }, () => pick(rng, [0, 1, 3, 4, 5, 10, 60, ...HOSTILE_U32]));
    const b = idxBytes(dims, seed.subarray(4 + 4 * seed[3]));
    if (rng.uniform() < 0.2) b[3] = rng.int(256);
    if (rng.uniform() < 0.1) b[2] = rng.int(256);
    return rng.uniform() < 0.3 ? gzipSync(b) : b;
  }
  // a gzip bomb (rare: each one inflates to its cap, tens of MiB, before it is refused)
  if (r < 0.815) return gzipAround(zeroBombStream(pick(rng, [1, 64, 128])), pick(rng, [0, 0xffffffff]), pick(rng, [0, 60, 0xffffffff]));
  if (r < 0.9) return Buffer.concat([gzipSync(seed), gzipSync(seed)]); // two members: more data than the dims say
  const gz = gzipSync(seed); // a lying trailer: wrong CRC or size
  gz.writeUInt32LE(pick(rng, HOSTILE_U32), gz.length - pick(rng, [4, 8]));
  return gz;
}

export const FORMATS: Format[] = [
  { name: "pt", ext: ".pt", next: ptNext },
  { name: "safetensors", ext: ".safetensors", next: safetensorsNext },
  { name: "npy", ext: ".npy", next: npyNext },
  { name: "npz", ext: ".npz", next: npzNext },
  { name: "idx", ext: ".idx", next: idxNext },
];
