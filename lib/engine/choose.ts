/**
 * Which executor runs the networks: "onnx" (ONNX Runtime in a worker thread, ./onnx-model) by
 * default when onnxruntime-node loads on this machine, else "tfjs" (the reference executor, on the
 * active tfjs backend). An explicit name, else ADM_ENGINE, overrides the default; ADM_ONNX_THREADS
 * and ADM_ONNX_PROVIDERS (e.g. "cuda,cpu") set ONNX Runtime's threads and providers. Notebooks and
 * CLIs print `describeEngine(choice)`, so that every run says what it ran on and with how many
 * threads.
 */
import * as tf from "@tensorflow/tfjs";
import { defaultThreads } from "./session";

export const ENGINE_NAMES = ["onnx", "tfjs"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Whether onnxruntime-node loads here: its version, or the error it failed with (one line). */
export interface OnnxRuntimeStatus {
  ok: boolean;
  version: string | null;
  error: string | null;
}

export interface EngineChoice {
  name: EngineName;
  /** one sentence: what asked for this engine (argument, ADM_ENGINE, or the default and why) */
  reason: string;
  /** ONNX Runtime's intra-op threads per session (onnx only) */
  threads: number | null;
  /** ONNX Runtime's execution providers in order of preference (onnx only) */
  executionProviders: string[];
  /** onnxruntime-node's version (onnx only) */
  onnxRuntime: string | null;
}

export interface ChooseEngineOptions {
  /** the engine asked for (a CLI's --engine); default ADM_ENGINE, else onnx when it loads */
  engine?: string;
  /** where `engine` came from, for messages (e.g. "--engine"); default "engine" */
  from?: string;
  /** ONNX Runtime threads (default: ADM_ONNX_THREADS, else the physical cores) */
  threads?: number;
  /** ONNX Runtime execution providers, e.g. ["cuda", "cpu"] or ["webgpu"]; default ADM_ONNX_PROVIDERS (comma-separated), else ["cpu"] */
  executionProviders?: string[];
}

let status: OnnxRuntimeStatus | undefined;

/** Load onnxruntime-node once in this thread and say whether it worked (the engine's workers load it again). */
export function onnxRuntimeStatus(): OnnxRuntimeStatus {
  if (!status) {
    try {
      // loaded on demand: a static import would make this module fail where the binding does not load
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ort = require("onnxruntime-node") as { env: { versions: Record<string, string> } };
      status = { ok: true, version: ort.env.versions.node ?? ort.env.versions.common ?? "unknown", error: null };
    } catch (e) {
      status = { ok: false, version: null, error: (e instanceof Error ? e.message : String(e)).split("\n")[0] };
    }
  }
  return status;
}

/**
 * The decision itself, from what was asked for (`requested` beats `env`) and whether ONNX Runtime
 * loads; `source` names where `requested` came from in errors and reasons (e.g. "--engine").
 */
export function pickEngine(
  requested: string | undefined,
  env: string | undefined,
  ort: OnnxRuntimeStatus,
  source = "engine",
): { name: EngineName; reason: string } {
  const [asked, from] =
    requested !== undefined && requested !== "" ? [requested, source] : env !== undefined && env !== "" ? [env, "ADM_ENGINE"] : [undefined, ""];
  if (asked === undefined) {
    return ort.ok
      ? { name: "onnx", reason: `the default: onnxruntime-node ${ort.version} loads (ADM_ENGINE=tfjs for the reference executor)` }
      : { name: "tfjs", reason: `onnxruntime-node does not load here (${ort.error}), so the tfjs reference executor runs` };
  }
  if (!(ENGINE_NAMES as readonly string[]).includes(asked)) throw new Error(`${from}=${asked} is not an engine; use one of ${ENGINE_NAMES.join(", ")}`);
  if (asked === "onnx" && !ort.ok) {
    throw new Error(`${from}=onnx: onnxruntime-node does not load (${ort.error}); reinstall it (npm ci) or use ${from}=tfjs`);
  }
  return { name: asked as EngineName, reason: `asked for by ${from}=${asked}` };
}

/** The engine for this process: see the module comment. Threads and providers are checked here. */
export function chooseEngine(opts: ChooseEngineOptions = {}): EngineChoice {
  const ort = onnxRuntimeStatus();
  const { name, reason } = pickEngine(opts.engine, process.env.ADM_ENGINE, ort, opts.from);
  if (name === "tfjs") return { name, reason, threads: null, executionProviders: [], onnxRuntime: null };
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`chooseEngine: threads must be a positive integer, got ${threads}`);
  const env = process.env.ADM_ONNX_PROVIDERS;
  const executionProviders =
    opts.executionProviders ??
    (env
      ? env
          .split(",")
          .map((p) => p.trim())
          .filter(Boolean)
      : ["cpu"]);
  if (executionProviders.length === 0)
    throw new Error(
      `${opts.executionProviders ? "chooseEngine: executionProviders" : `ADM_ONNX_PROVIDERS=${env}`} must name at least one provider (cpu, cuda, webgpu)`,
    );
  return { name, reason, threads, executionProviders, onnxRuntime: ort.version };
}

/** One line for a notebook or a CLI: the engine, its threads (or tfjs's backend), and why. */
export function describeEngine(choice: EngineChoice): string {
  if (choice.name === "onnx") {
    const threads = `${choice.threads} thread${choice.threads === 1 ? "" : "s"}`;
    return `engine: onnx (ONNX Runtime ${choice.onnxRuntime}, ${choice.executionProviders.join(" > ")}, ${threads}); ${choice.reason}`;
  }
  const backend = tf.getBackend();
  const threads = backend === "wasm" || backend === "cpu" ? ", 1 thread" : "";
  return `engine: tfjs (${backend} backend${threads}); ${choice.reason}`;
}
