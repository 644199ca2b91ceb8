import { readFileSync } from "fs";
import { initBackend } from "../../lib/backend";
import { chooseEngine, describeEngine, onnxRuntimeStatus, pickEngine, type OnnxRuntimeStatus } from "../../lib/engine/choose";
import { defaultThreads } from "../../lib/engine/session";

/** the installed onnxruntime-node, as its package says */
const VERSION = JSON.parse(readFileSync(require.resolve("onnxruntime-node/package.json"), "utf8")).version as string;
const LOADS: OnnxRuntimeStatus = { ok: true, version: "1.30.0", error: null };
const FAILS: OnnxRuntimeStatus = { ok: false, version: null, error: "libonnxruntime.so.1: cannot open shared object file" };

describe("pickEngine", () => {
  test("the default is onnx when ONNX Runtime loads, else tfjs with the load error as the reason", () => {
    expect(pickEngine(undefined, undefined, LOADS)).toEqual({ name: "onnx", reason: expect.stringMatching(/default: onnxruntime-node 1\.30\.0 loads/) });
    const fallback = pickEngine(undefined, "", FAILS);
    expect(fallback.name).toBe("tfjs");
    expect(fallback.reason).toContain("cannot open shared object file");
  });

  test("an argument beats ADM_ENGINE, which beats the default", () => {
    expect(pickEngine("tfjs", "onnx", LOADS, "--engine")).toEqual({ name: "tfjs", reason: "asked for by --engine=tfjs" });
    expect(pickEngine(undefined, "tfjs", LOADS)).toEqual({ name: "tfjs", reason: "asked for by ADM_ENGINE=tfjs" });
    expect(pickEngine("onnx", undefined, LOADS).name).toBe("onnx");
  });

  test("unknown names and an onnx that does not load are errors naming the flag or variable", () => {
    expect(() => pickEngine(undefined, "torch", LOADS)).toThrow("ADM_ENGINE=torch is not an engine; use one of onnx, tfjs");
    expect(() => pickEngine("gpu", undefined, LOADS, "--engine")).toThrow("--engine=gpu is not an engine");
    expect(() => pickEngine("onnx", undefined, FAILS, "--engine")).toThrow(
      /--engine=onnx: onnxruntime-node does not load \(libonnxruntime.*\); .*--engine=tfjs/,
    );
  });
});

describe("chooseEngine", () => {
  const saved = { engine: process.env.ADM_ENGINE, threads: process.env.ADM_ONNX_THREADS, providers: process.env.ADM_ONNX_PROVIDERS };
  afterEach(() => {
    for (const [key, value] of [
      ["ADM_ENGINE", saved.engine],
      ["ADM_ONNX_THREADS", saved.threads],
      ["ADM_ONNX_PROVIDERS", saved.providers],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  test("on this machine ONNX Runtime loads, so onnx is the default, with the session threads", () => {
    delete process.env.ADM_ENGINE;
    delete process.env.ADM_ONNX_PROVIDERS;
    expect(onnxRuntimeStatus()).toEqual({ ok: true, version: VERSION, error: null });
    const choice = chooseEngine();
    expect(choice).toMatchObject({ name: "onnx", threads: defaultThreads(), executionProviders: ["cpu"], onnxRuntime: VERSION });
    process.env.ADM_ONNX_THREADS = "3";
    expect(chooseEngine().threads).toBe(3);
    expect(chooseEngine({ threads: 1, executionProviders: ["cuda", "cpu"] })).toMatchObject({ threads: 1, executionProviders: ["cuda", "cpu"] });
    process.env.ADM_ONNX_PROVIDERS = "webgpu, cpu";
    expect(chooseEngine().executionProviders).toEqual(["webgpu", "cpu"]);
    process.env.ADM_ONNX_PROVIDERS = ",";
    expect(() => chooseEngine()).toThrow("ADM_ONNX_PROVIDERS=, must name at least one provider");
  });

  test("ADM_ENGINE=tfjs picks the reference executor; bad threads and providers are named", () => {
    process.env.ADM_ENGINE = "tfjs";
    expect(chooseEngine()).toMatchObject({ name: "tfjs", threads: null, reason: "asked for by ADM_ENGINE=tfjs" });
    expect(() => chooseEngine({ engine: "onnx", threads: 0 })).toThrow("threads must be a positive integer, got 0");
    expect(() => chooseEngine({ engine: "onnx", executionProviders: [] })).toThrow(/at least one provider/);
  });

  test("describeEngine says the engine, its threads or tfjs's backend, and why", async () => {
    await initBackend("wasm");
    expect(describeEngine(chooseEngine({ engine: "onnx", threads: 2, from: "--engine" }))).toBe(
      `engine: onnx (ONNX Runtime ${VERSION}, cpu, 2 threads); asked for by --engine=onnx`,
    );
    expect(describeEngine(chooseEngine({ engine: "tfjs" }))).toBe("engine: tfjs (wasm backend, 1 thread); asked for by engine=tfjs");
  });
});
