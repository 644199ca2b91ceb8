/**
 * Pick and initialise the fastest tfjs backend available on this machine.
 *
 * Order: `tensorflow` (when @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node is installed: they are
 * optional because their install step downloads libtensorflow) > `wasm` (with our training kernels,
 * see ./backend/wasm-kernels) > `cpu` (pure JS; only for tiny shapes and as a test oracle).
 * The environment variable ADM_BACKEND (tensorflow | wasm | cpu) overrides the choice.
 * In a Jupyter kernel, initialising keeps the session alive through a student's unhandled promise
 * rejection, and a tensor made before initBackend says to call it (./backend/kernel-session).
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels, fixCpuKernels } from "./backend/kernels";
import { hintInitBackendOnError, removeWasmExitListeners } from "./backend/kernel-session";

hintInitBackendOnError();

export type BackendName = "tensorflow" | "wasm" | "cpu";
export const BACKEND_NAMES: BackendName[] = ["tensorflow", "wasm", "cpu"];

export interface BackendChoice {
  /** the tfjs backend now active */
  name: BackendName;
  /** one sentence saying why this backend was chosen */
  reason: string;
}

let current: BackendChoice | undefined;

function loadTfNode(): string | undefined {
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      // optional native bindings: present only where the user installed them, so loaded at run time
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(pkg);
      return pkg;
    } catch {
      // not installed (the default on machines that cannot download libtensorflow)
    }
  }
  return undefined;
}

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend "${name}" failed to initialise`);
  await tf.ready();
  // The wasm module may also have started earlier (a cell's own `await tf.ready()`): remove its
  // re-throwing listeners whichever backend is asked for now.
  removeWasmExitListeners();
  if (name === "wasm") registerWasmKernels();
  if (name === "cpu") fixCpuKernels();
}

/**
 * Initialise a backend once per process and return which one and why. Later calls return the same
 * choice unless `name` asks for a different backend explicitly.
 */
export async function initBackend(name?: BackendName): Promise<BackendChoice> {
  const env = process.env.ADM_BACKEND;
  if (name === undefined && env) {
    if (!BACKEND_NAMES.includes(env as BackendName)) {
      throw new Error(`ADM_BACKEND=${env} is not a backend; use one of ${BACKEND_NAMES.join(", ")}`);
    }
    name = env as BackendName;
  }
  if (current && (name === undefined || name === current.name)) return current;
  let reason: string;
  if (name === "tensorflow" || name === undefined) {
    const pkg = loadTfNode();
    if (pkg) {
      await activate("tensorflow");
      current = { name: "tensorflow", reason: `${pkg} is installed (native TensorFlow${pkg.endsWith("gpu") ? " with CUDA" : ""})` };
      return current;
    }
    if (name === "tensorflow") {
      throw new Error("ADM_BACKEND=tensorflow needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node: npm install @tensorflow/tfjs-node@4.22.0");
    }
  }
  if (name === undefined || name === "wasm") {
    reason =
      name === "wasm"
        ? "asked for explicitly"
        : "@tensorflow/tfjs-node is not installed, and wasm (SIMD, with our training kernels) is the fastest CPU backend";
    try {
      await activate("wasm");
      current = { name: "wasm", reason };
      return current;
    } catch (e) {
      if (name === "wasm") throw e;
    }
  }
  reason = name === "cpu" ? "asked for explicitly" : "wasm failed to initialise; the pure-JS cpu backend is about 40x slower";
  await activate("cpu");
  current = { name: "cpu", reason };
  return current;
}
