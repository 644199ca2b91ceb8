/**
 * An ONNX Runtime session in a worker thread (./session-worker.js): created once per model and kept,
 * `run` is asynchronous and leaves the main thread free, `dispose` releases the session and ends
 * the worker. Threads: `threads`, else ADM_ONNX_THREADS, else the machine's physical cores.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { SerializedModel } from "./serialize";

/** A tensor crossing to and from the worker: typed data and dims (row-major). */
export type OnnxTensor = { type: "float32"; data: Float32Array; dims: number[] } | { type: "int64"; data: BigInt64Array; dims: number[] };

export interface SessionOptions {
  /** intra-op threads (default: ADM_ONNX_THREADS, else the physical cores) */
  threads?: number;
  /** execution providers in order of preference; default ["cpu"] */
  executionProviders?: string[];
  /** hand the model's buffers to the worker instead of copying them (they are detached here) */
  transfer?: boolean;
  /**
   * let idle intra-op threads spin (ONNX Runtime's default) rather than sleep; default false: on a
   * machine shared with other work spinning threads take the cores the others need, and a training
   * step on 2 threads then ran at half the speed of 1 thread (3.6 s against 1.9 s, load 7 on 2 cores)
   */
  spinning?: boolean;
}

export interface RunOptions {
  /** rejects the pending call with the signal's reason; the worker finishes its current run first */
  signal?: AbortSignal;
}

export interface OnnxSession {
  readonly threads: number;
  readonly executionProviders: readonly string[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OnnxTensor>, opts?: RunOptions): Promise<Record<string, OnnxTensor>>;
  /** release the session and terminate its worker; later runs reject */
  dispose(): Promise<void>;
}

/** Physical cores from /proc/cpuinfo (distinct physical id + core id), else the logical CPUs. */
export function physicalCores(): number {
  try {
    const cores = new Set<string>();
    for (const proc of fs.readFileSync("/proc/cpuinfo", "utf8").split(/\n\s*\n/)) {
      const field = (key: string) => new RegExp(`^${key}\\s*:\\s*(.*)$`, "m").exec(proc)?.[1];
      const core = field("core id");
      if (core !== undefined) cores.add(`${field("physical id") ?? 0}:${core}`);
    }
    if (cores.size > 0) return cores.size;
  } catch {
    // no /proc (macOS, Windows): fall back to the logical CPUs
  }
  return os.availableParallelism();
}

/** The engine's default thread count: ADM_ONNX_THREADS when set, else `physicalCores()`. */
export function defaultThreads(): number {
  const env = process.env.ADM_ONNX_THREADS;
  if (env === undefined || env === "") return physicalCores();
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`ADM_ONNX_THREADS=${env} must be a positive integer (threads per ONNX Runtime session)`);
  return n;
}

/**
 * Re-view data that arrived from the worker with this realm's typed-array constructors (no copy), so
 * that `instanceof Float32Array` holds where it is checked (tfjs; jest runs tests in a vm context).
 */
function localTensor(t: OnnxTensor): OnnxTensor {
  const d = t.data;
  return t.type === "float32"
    ? { type: "float32", data: new Float32Array(d.buffer, d.byteOffset, d.length), dims: t.dims }
    : { type: "int64", data: new BigInt64Array(d.buffer, d.byteOffset, d.length), dims: t.dims };
}

function localTensors(outputs: Record<string, OnnxTensor>): Record<string, OnnxTensor> {
  const out: Record<string, OnnxTensor> = {};
  for (const [name, t] of Object.entries(outputs)) out[name] = localTensor(t);
  return out;
}

/** What the worker answers: the session's input and output names after "create", its outputs after "run". */
interface WorkerReply {
  id: number;
  ok: boolean;
  error?: string;
  inputNames: string[];
  outputNames: string[];
  outputs: Record<string, OnnxTensor>;
}

interface Pending {
  resolve: (msg: WorkerReply) => void;
  reject: (e: Error) => void;
}

/**
 * Start a worker, create the session in it, and return once the model is loaded.
 * @param model serialised bytes, or the path of a .onnx file (its external data file beside it)
 */
export async function createSession(model: SerializedModel | string, opts: SessionOptions = {}): Promise<OnnxSession> {
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`createSession: threads must be a positive integer, got ${threads}`);
  const executionProviders = opts.executionProviders ?? ["cpu"];
  if (typeof model === "string" && !fs.existsSync(model)) throw new Error(`createSession: no ONNX file at ${model}`);
  const worker = new Worker(path.join(__dirname, "session-worker.js"));
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failure: Error | null = null;
  const fail = (e: Error) => {
    failure = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on("message", (msg: WorkerReply) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (pending.size === 0) worker.unref();
    if (msg.ok) p.resolve(msg);
    else p.reject(new Error(`ONNX Runtime: ${msg.error}`));
  });
  worker.on("error", (e) => fail(e));
  worker.on("exit", (code) => fail(new Error(`the ONNX Runtime worker has exited (code ${code})`)));
  // the worker keeps the process alive only while a call is in flight
  const call = (msg: object, transfer: ArrayBuffer[] = []): Promise<WorkerReply> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    worker.ref();
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id }, transfer);
    });
  };

  const options = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    executionProviders,
    extra: { session: { intra_op: { allow_spinning: opts.spinning ? "1" : "0" } } },
  };
  let ready;
  try {
    if (typeof model === "string") {
      ready = await call({ type: "create", model: path.resolve(model), externalData: null, options });
    } else {
      const buffers = opts.transfer ? [model.model.buffer, ...(model.externalData ? [model.externalData.data.buffer] : [])] : [];
      ready = await call({ type: "create", model: model.model, externalData: model.externalData, options }, buffers as ArrayBuffer[]);
    }
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  let disposed = false;
  return {
    threads,
    executionProviders,
    inputNames: ready.inputNames,
    outputNames: ready.outputNames,
    async run(feeds, runOpts = {}) {
      const signal = runOpts.signal;
      if (disposed) throw new Error("OnnxSession.run: the session was disposed");
      signal?.throwIfAborted();
      const result = call({ type: "run", feeds });
      if (!signal) return localTensors((await result).outputs);
      let onAbort = () => {};
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        return localTensors((await Promise.race([result, aborted])).outputs);
      } finally {
        signal.removeEventListener("abort", onAbort);
        result.catch(() => {});
      }
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (!failure) await call({ type: "release" });
      failure = new Error("OnnxSession: the session was disposed");
      await worker.terminate();
    },
  };
}
