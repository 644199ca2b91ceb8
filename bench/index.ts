/**
 * The benchmark, side by side: the rows of bench/rows.ts on tfjs (the reference executor, wasm: one
 * thread), ONNX Runtime with one thread and with all physical cores, and PyTorch running
 * guided-diffusion's own code on the same shapes and threads (when torch imports and a
 * guided-diffusion checkout is given). Each cell runs in a process of its own (bench/cell.ts,
 * bench/pytorch_rows.py), which also gives its peak memory. Writes bench/results/DATE[-quick].json
 * with the machine (CPU, cores, load average before and after each cell, versions) and prints one
 * table with the ratios.
 * A full run takes about 15 minutes on 2 cores; --quick about 5.
 *   npm run bench -- [--quick] [--rows ID,...] [--executors tfjs,onnx,pytorch] [--providers cuda,cpu]
 *                    [--guided-diffusion DIR]   (or ADM_GUIDED_DIFFUSION=DIR)
 */
import { spawnSync } from "child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import * as os from "os";
import { join, resolve } from "path";
import { physicalCores } from "../lib/engine/session";
import { parseFlags, runCli, UsageError, type FlagSpec } from "../scripts/cli-args";
import { ROWS, torchDiffusionKwargs, torchEncoderKwargs, torchUNetKwargs, type RowDef, type RowSpec } from "./rows";

const ROOT = resolve(__dirname, "..");
const EXECUTORS = ["tfjs", "onnx", "pytorch"] as const;

const FLAGS: Record<string, FlagSpec> = {
  quick: { type: "boolean", default: false, help: "10 course images instead of 100, one timed ImageNet call instead of two, no ImageNet 256 rows" },
  rows: { type: "string", help: `rows to run (default: all; ${ROWS.map((r) => r.id).join(", ")})` },
  executors: { type: "string", default: EXECUTORS.join(","), help: "columns to run: tfjs, onnx, pytorch" },
  providers: { type: "string", default: "cpu", help: "ONNX Runtime execution providers, in order (cpu, cuda, webgpu)" },
  threads: { type: "number", default: physicalCores(), help: "the 'all threads' columns' thread count (default: physical cores)" },
  "guided-diffusion": { type: "string", help: "a guided-diffusion checkout for the PyTorch columns (default ADM_GUIDED_DIFFUSION)" },
  "pytorch-all-threads": { type: "boolean", default: false, help: "run PyTorch's all-threads column even on a loaded machine" },
  "cell-timeout": { type: "number", default: 900, help: "seconds one cell may take" },
  out: { type: "string", help: "result file (default bench/results/DATE[-quick].json)" },
};

interface Column {
  id: string;
  label: string;
  executor: (typeof EXECUTORS)[number];
  threads: number;
}

type Cell = { seconds: number; loadSeconds: number; peakMB: number; load: [number, number] } | { skipped: string } | { error: string };

const load1 = (): number => Number(os.loadavg()[0].toFixed(2));

/** Run a child that prints `RESULT {json}`; its result, or its last error line. */
function child(cmd: string, args: string[], timeoutS: number): Record<string, number | string> | { error: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", timeout: timeoutS * 1000, maxBuffer: 64 * 2 ** 20 });
  const line = r.stdout?.split("\n").find((l) => l.startsWith("RESULT "));
  if (r.status === 0 && line) return JSON.parse(line.slice(7));
  const why = r.signal
    ? `killed by ${r.signal}${r.error ? ` (${r.error.message})` : ""}`
    : ((r.stderr || r.stdout || "").trim().split("\n").filter(Boolean).pop() ?? `exit ${r.status}`);
  return { error: why.slice(0, 300) };
}

/** A Python that imports torch, or why there is none. */
function torchPython(): { python: string } | { why: string } {
  for (const python of [process.env.ADM_PYTHON, "python3", "/usr/bin/python3"].filter((p): p is string => !!p)) {
    if (spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0) return { python };
  }
  return { why: "no python3 here imports torch (Debian: apt-get install python3-torch; or set ADM_PYTHON)" };
}

function runCell(def: RowDef, spec: RowSpec, col: Column, opts: { providers: string[]; python?: string; guidedDiffusion?: string; timeout: number }): Cell {
  if (col.executor === "tfjs" && def.tfjsSkip) return { skipped: def.tfjsSkip };
  const before = load1();
  let r: Record<string, number | string> | { error: string };
  if (col.executor === "pytorch") {
    const input = {
      spec,
      threads: col.threads,
      guidedDiffusion: opts.guidedDiffusion,
      unetKwargs: torchUNetKwargs(spec.unet),
      classifierKwargs: spec.classifier ? torchEncoderKwargs(spec.classifier) : null,
      diffusionKwargs: torchDiffusionKwargs(spec.diffusion),
    };
    r = child(opts.python!, [join(ROOT, "bench/pytorch_rows.py"), JSON.stringify(input)], opts.timeout);
  } else {
    const input = { spec, executor: col.executor, threads: col.threads, providers: opts.providers };
    r = child(process.execPath, [join(ROOT, "scripts/run-ts.js"), join(ROOT, "bench/cell.ts"), JSON.stringify(input)], opts.timeout);
  }
  if ("error" in r) return { error: String(r.error) };
  return { seconds: Number(r.seconds), loadSeconds: Number(r.loadSeconds), peakMB: Number(r.peakMB), load: [before, load1()] };
}

/** tfjs-wasm aborts when its 4 GB heap is exhausted */
const outOfMemory = (e: string): boolean => /Aborted\(\)|out of memory/i.test(e);
const fmt = (c: Cell | undefined): string =>
  c === undefined
    ? ""
    : "seconds" in c
      ? `${c.seconds < 10 ? c.seconds.toFixed(2) : c.seconds.toFixed(1)} s`
      : "skipped" in c
        ? "does not fit"
        : outOfMemory(c.error)
          ? "out of memory"
          : "failed";
const ratio = (a: Cell | undefined, b: Cell | undefined): string =>
  a && b && "seconds" in a && "seconds" in b ? `${(a.seconds / b.seconds).toFixed(2)}x` : "";
const gb = (c: Cell | undefined): string => (c && "peakMB" in c ? (c.peakMB / 1024).toFixed(1) : "-");

/** The table: times per column, the ratios the issue asks about, and peak memory. */
function table(rows: { def: RowDef; spec: RowSpec; cells: Record<string, Cell> }[], cols: Column[], all: number): string {
  const id = (executor: string, threads: number) => cols.find((c) => c.executor === executor && c.threads === threads)?.id ?? "";
  const [onnx1, onnxAll, torch1, torchAll] = [id("onnx", 1), id("onnx", all), id("pytorch", 1), id("pytorch", all)];
  const head = ["row", ...cols.map((c) => c.label), "tfjs / ONNX all", "ONNX 1 / PyTorch 1", `ONNX ${all} / PyTorch ${all}`, "peak GB tfjs / ONNX / PyTorch"];
  const lines = rows.map(({ def, spec, cells }) => [
    `${def.what(spec)} (${def.unit})`,
    ...cols.map((c) => fmt(cells[c.id])),
    ratio(cells.tfjs, cells[onnxAll]),
    ratio(cells[onnx1], cells[torch1]),
    ratio(cells[onnxAll], cells[torchAll]),
    `${gb(cells.tfjs)} / ${gb(cells[onnxAll])} / ${gb(cells[torchAll])}`,
  ]);
  const md = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [md(head), md(head.map(() => "---")), ...lines.map(md)].join("\n");
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), FLAGS, "usage: npm run bench -- [--quick] [--rows ID,...] [flags]");
  if (!f) return;
  const quick = f.quick as boolean;
  const known = new Map(ROWS.map((r) => [r.id, r]));
  const rowIds = f.rows ? (f.rows as string).split(",").filter(Boolean) : ROWS.filter((r) => !(quick && r.heavy)).map((r) => r.id);
  for (const r of rowIds) if (!known.has(r)) throw new UsageError(`--rows: unknown row ${r}; rows are ${ROWS.map((x) => x.id).join(", ")}`);
  const executors = (f.executors as string).split(",").filter(Boolean);
  for (const e of executors)
    if (!(EXECUTORS as readonly string[]).includes(e)) throw new UsageError(`--executors: unknown executor ${e}; use ${EXECUTORS.join(", ")}`);
  const all = f.threads as number;
  if (!Number.isInteger(all) || all < 1) throw new UsageError(`--threads must be a positive integer, got ${all}`);
  const providers = (f.providers as string).split(",").filter(Boolean);

  const notes: string[] = [];
  let python: string | undefined;
  const guidedDiffusion = (f["guided-diffusion"] as string | undefined) ?? process.env.ADM_GUIDED_DIFFUSION;
  if (executors.includes("pytorch")) {
    const torch = torchPython();
    if ("why" in torch) notes.push(`PyTorch columns skipped: ${torch.why}`);
    else if (!guidedDiffusion)
      notes.push(
        "PyTorch columns skipped: no guided-diffusion checkout (pass --guided-diffusion DIR or set ADM_GUIDED_DIFFUSION; git clone https://github.com/openai/guided-diffusion)",
      );
    else if (!existsSync(join(guidedDiffusion, "guided_diffusion", "unet.py")))
      notes.push(`PyTorch columns skipped: ${guidedDiffusion} has no guided_diffusion/unet.py`);
    else python = torch.python;
  }
  const threadCounts = Array.from(new Set([1, all]));
  const cols: Column[] = [];
  if (executors.includes("tfjs")) cols.push({ id: "tfjs", label: "tfjs (wasm, 1 thread)", executor: "tfjs", threads: 1 });
  for (const n of threadCounts)
    if (executors.includes("onnx")) cols.push({ id: `onnx-${n}`, label: `ONNX ${providers.join(">")} ${n} thr`, executor: "onnx", threads: n });
  // OpenMP oversubscribes a busy machine: PyTorch on all cores then collapses (50 s for what took
  // 2.6 s on one thread, at load 7 on 2 cores), so that column runs on a quiet machine only
  const busy = os.loadavg()[0] > Math.max(1, all - 1);
  if (python && all > 1 && busy && !f["pytorch-all-threads"]) {
    notes.push(
      `PyTorch ${all}-thread column skipped: load average ${os.loadavg()[0].toFixed(1)} on ${all} cores (OpenMP collapses under foreign load); --pytorch-all-threads runs it anyway`,
    );
  }
  for (const n of threadCounts)
    if (python && (n === 1 || !busy || f["pytorch-all-threads"])) cols.push({ id: `pytorch-${n}`, label: `PyTorch ${n} thr`, executor: "pytorch", threads: n });

  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? "unknown",
    logicalCpus: cpus.length,
    physicalCores: physicalCores(),
    memoryGB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    loadAverageAtStart: os.loadavg().map((v) => Number(v.toFixed(2))),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    onnxruntime: JSON.parse(readFileSync(require.resolve("onnxruntime-node/package.json"), "utf8")).version as string,
    tfjs: JSON.parse(readFileSync(require.resolve("@tensorflow/tfjs/package.json"), "utf8")).version as string,
    torch: python ? spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" }).stdout.trim() : null,
  };
  for (const note of notes) console.log(note);
  console.log(
    `${machine.cpu}, ${machine.physicalCores} cores, load ${machine.loadAverageAtStart.join(" ")}, node ${machine.node}, onnxruntime-node ${machine.onnxruntime}${machine.torch ? `, torch ${machine.torch}` : ""}${quick ? " (quick)" : ""}`,
  );
  const start = Date.now();
  const results: { def: RowDef; spec: RowSpec; cells: Record<string, Cell> }[] = [];
  for (const rid of rowIds) {
    const def = known.get(rid)!;
    const spec = def.spec(quick);
    const cells: Record<string, Cell> = {};
    for (const col of cols) {
      cells[col.id] = runCell(def, spec, col, { providers, python, guidedDiffusion, timeout: f["cell-timeout"] as number });
      const c = cells[col.id];
      console.log(
        `  ${rid} / ${col.label}: ${fmt(c)}${"peakMB" in c ? `, peak ${gb(c)} GB, load ${c.load.join(" -> ")}` : ""}${"error" in c ? `: ${c.error}` : ""}`,
      );
    }
    results.push({ def, spec, cells });
  }
  const text = table(results, cols, all);
  console.log(
    `\n${text}\n\n${((Date.now() - start) / 60000).toFixed(1)} min; load average ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(" ")} (1, 5, 15 min)`,
  );
  const date = new Date().toISOString().slice(0, 10);
  const out = (f.out as string | undefined) ?? join(ROOT, "bench/results", `${date}${quick ? "-quick" : ""}.json`);
  mkdirSync(resolve(out, ".."), { recursive: true });
  const json = {
    date: new Date().toISOString(),
    quick,
    providers,
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((v) => Number(v.toFixed(2))) },
    notes,
    columns: cols,
    rows: results.map(({ def, spec, cells }) => ({ id: def.id, what: def.what(spec), unit: def.unit, n: spec.n, cells })),
    table: text,
  };
  writeFileSync(out + ".part", JSON.stringify(json, null, 2) + "\n");
  renameSync(out + ".part", out);
  console.log(`wrote ${out}`);
}

runCli(main);
