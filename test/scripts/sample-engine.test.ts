/**
 * `adm-ts sample --engine onnx|tfjs` and `adm-ts model-card --engine`: both print the engine and its
 * threads, and the shipped models give the same images on either engine (uint8, within one level
 * of rounding), plain and classifier-guided.
 */
import { spawnSync } from "child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { readNpz } from "../../lib/io/npz";

const ADM = resolve(__dirname, "../../scripts/adm.js");
const MODELS = resolve(__dirname, "../../models");

function run(args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync("node", [ADM, ...args], {
    encoding: "utf8",
    timeout: 60000,
    env: { ...process.env, ADM_ENGINE: "", ADM_ONNX_THREADS: "1", ADM_ONNX_PROVIDERS: "", ...env },
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** Sample with `args` on both engines; the two uint8 image arrays. */
function bothEngines(args: string[]): { onnx: Uint8Array; tfjs: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), "engine-"));
  const images: Record<string, Uint8Array> = {};
  for (const engine of ["onnx", "tfjs"]) {
    const r = run(["sample", ...args, "--engine", engine, "--out", join(dir, engine)]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(
      engine === "onnx" ? /engine: onnx \(ONNX Runtime [\d.]+, cpu, 1 thread\); asked for by engine=onnx/ : /engine: tfjs \(wasm backend, 1 thread\)/,
    );
    images[engine] = readNpz(join(dir, engine + ".npz")).get("arr_0")!.data as Uint8Array;
  }
  return { onnx: images.onnx, tfjs: images.tfjs };
}

function maxLevelDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test("sample --engine: fashion-cond gives the same images on ONNX Runtime and tfjs", () => {
  const { onnx, tfjs } = bothEngines(["--model", join(MODELS, "fashion-cond"), "--n", "4", "--steps", "5"]);
  expect(onnx.length).toBe(4 * 32 * 32);
  expect(maxLevelDiff(onnx, tfjs)).toBeLessThanOrEqual(1);
}, 60000);

test("sample --engine with classifier guidance (fashion-uncond, fashion-classifier, s = 10)", () => {
  const { onnx, tfjs } = bothEngines([
    "--model",
    join(MODELS, "fashion-uncond"),
    "--classifier",
    join(MODELS, "fashion-classifier"),
    "--scale",
    "10",
    "--n",
    "2",
    "--steps",
    "5",
  ]);
  expect(maxLevelDiff(onnx, tfjs)).toBeLessThanOrEqual(1);
}, 60000);

test("the default follows ADM_ENGINE, else onnx; a bad name is a usage error", () => {
  const dir = mkdtempSync(join(tmpdir(), "engine-"));
  const base = ["sample", "--model", join(MODELS, "fashion-cond"), "--n", "1", "--steps", "1", "--out", join(dir, "s")];
  expect(run(base).out).toMatch(/engine: onnx .*; the default: onnxruntime-node [\d.]+ loads/);
  expect(run(base, { ADM_ENGINE: "tfjs" }).out).toMatch(/engine: tfjs \(wasm backend, 1 thread\); asked for by ADM_ENGINE=tfjs/);
  const bad = run([...base, "--engine", "gpu"]);
  expect(bad.status).toBe(2);
  expect(bad.out).toMatch(/--engine must be one of onnx, tfjs, got "gpu"/);
}, 60000);

test("model-card --engine samples on the engine and says so in the card", () => {
  // a copy of the shipped unconditional model: the card is written into its directory
  const dir = mkdtempSync(join(tmpdir(), "card-"));
  const model = join(dir, "fashion-uncond");
  mkdirSync(model);
  for (const f of ["model.safetensors", "state.safetensors", "run.json"]) copyFileSync(join(MODELS, "fashion-uncond", f), join(model, f));
  const r = run([
    "model-card",
    model,
    "--n",
    "2",
    "--fid-n",
    "0",
    "--steps",
    "2",
    "--scales",
    "10",
    "--engine",
    "onnx",
    "--classifier",
    join(MODELS, "fashion-classifier"),
    "--features",
    join(MODELS, "fashion-features"),
  ]);
  expect(r.status).toBe(0);
  expect(r.out).toMatch(/engine: onnx \(ONNX Runtime [\d.]+, cpu, 1 thread\)/);
  const card = readFileSync(join(model, "README.md"), "utf8");
  expect(card).toMatch(/on ONNX Runtime \(1 thread\)/);
  expect(card).toMatch(/\| classifier guidance s = 10 .*\| \[samples-guided-10.png\]/);
}, 60000);
