import * as fs from "fs";
import { initBackend } from "../../lib/backend";
import { emitUNet } from "../../lib/engine/emit-model";
import { serializeGraph, SerializedModel } from "../../lib/engine/serialize";
import { createSession, defaultThreads, OnnxTensor, physicalCores } from "../../lib/engine/session";
import { UNetModel } from "../../lib/models";
import { COURSE_CONFIGS } from "../../lib/course/model-configs";
import { randomizeParams } from "./helpers";

/** Threads of this process, from /proc/self/status. */
function processThreads(): number {
  return Number(/^Threads:\s*(\d+)/m.exec(fs.readFileSync("/proc/self/status", "utf8"))![1]);
}

let serialized: SerializedModel;
/** a batch large enough that one run takes a while (the course UNet at 32x32) */
const BATCH = 48;
let feeds: Record<string, OnnxTensor>;

beforeAll(async () => {
  await initBackend("wasm");
  const cfg = COURSE_CONFIGS["fashion-uncond"];
  if (cfg.kind !== "diffusion") throw new Error("fashion-uncond is a diffusion model");
  const model = new UNetModel(cfg.unet);
  randomizeParams(model, 5);
  serialized = serializeGraph(emitUNet(model).graph, "unet");
  model.dispose();
  const x = new Float32Array(BATCH * 32 * 32).map((_, i) => Math.sin(i));
  feeds = { x: { type: "float32", data: x, dims: [BATCH, 32, 32, 1] }, t: { type: "float32", data: new Float32Array(BATCH).fill(500), dims: [BATCH] } };
});

describe("threads", () => {
  const saved = process.env.ADM_ONNX_THREADS;
  afterEach(() => {
    if (saved === undefined) delete process.env.ADM_ONNX_THREADS;
    else process.env.ADM_ONNX_THREADS = saved;
  });

  test("physical cores: the sum of 'cpu cores' over the distinct sockets of /proc/cpuinfo", () => {
    const perSocket = new Map<string, number>();
    for (const block of fs.readFileSync("/proc/cpuinfo", "utf8").split(/\n\s*\n/)) {
      const socket = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1] ?? "0";
      const cores = /^cpu cores\s*:\s*(\d+)/m.exec(block)?.[1];
      if (cores) perSocket.set(socket, Number(cores));
    }
    expect(physicalCores()).toBe([...perSocket.values()].reduce((a, b) => a + b, 0));
  });

  test("ADM_ONNX_THREADS overrides the default; a bad value is named", () => {
    delete process.env.ADM_ONNX_THREADS;
    expect(defaultThreads()).toBe(physicalCores());
    process.env.ADM_ONNX_THREADS = "3";
    expect(defaultThreads()).toBe(3);
    process.env.ADM_ONNX_THREADS = "two";
    expect(() => defaultThreads()).toThrow(/ADM_ONNX_THREADS=two must be a positive integer/);
  });

  test("a session with n threads adds n - 1 pool threads to the worker's; dispose ends them all", async () => {
    // the process's first session also starts threads that live on (ONNX Runtime's environment)
    await (await createSession(serialized, { threads: 1 })).dispose();
    const before = processThreads();
    const one = await createSession(serialized, { threads: 1 });
    const withOne = processThreads();
    const four = await createSession(serialized, { threads: 4 });
    const withFour = processThreads();
    expect(one.threads).toBe(1);
    expect(four.threads).toBe(4);
    expect(withFour - withOne - (withOne - before)).toBe(3);
    await one.dispose();
    await four.dispose();
    expect(processThreads()).toBe(before);
    await expect(one.run(feeds)).rejects.toThrow(/disposed/);
  });
});

describe("runs in a worker", () => {
  test("the main thread keeps running while the session computes", async () => {
    const session = await createSession(serialized, { threads: 1 });
    await session.run(feeds); // warm-up: ORT plans memory on the first run
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const start = Date.now();
    const out = await session.run(feeds);
    const ms = Date.now() - start;
    clearInterval(timer);
    expect(out.out.dims).toEqual([BATCH, 32, 32, 2]);
    // a run that blocked this thread would let no timer fire until it returned
    expect(ms).toBeGreaterThan(20);
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(ms / 5 / 4));
    await session.dispose();
  });

  test("an AbortSignal rejects the pending run with its reason; the session stays usable", async () => {
    const session = await createSession(serialized, { threads: 1 });
    const done = new AbortController();
    done.abort(new Error("stopped before"));
    await expect(session.run(feeds, { signal: done.signal })).rejects.toThrow("stopped before");
    const ctl = new AbortController();
    const start = Date.now();
    const pending = session.run(feeds, { signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error("interrupted")), 1);
    await expect(pending).rejects.toThrow("interrupted");
    const abortedAfter = Date.now() - start;
    const full = Date.now();
    const out = await session.run(feeds);
    // the next run waited for the abandoned one, so it took longer than the abort did
    expect(Date.now() - full).toBeGreaterThan(abortedAfter);
    expect(out.out.data.length).toBe(BATCH * 32 * 32 * 2);
    await session.dispose();
  });

  test("ONNX Runtime's errors come back with its message", async () => {
    const session = await createSession(serialized, { threads: 1 });
    const bad = { ...feeds, x: { type: "float32" as const, data: new Float32Array(2 * 16 * 16), dims: [2, 16, 16, 1] } };
    await expect(session.run(bad)).rejects.toThrow(/ONNX Runtime: .*x/);
    await session.dispose();
  });
});
