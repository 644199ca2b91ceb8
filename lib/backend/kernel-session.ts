/**
 * Living in a long Jupyter session: what a student's slip must cost is one cell's error, never the
 * kernel and everything computed in it.
 *
 * 1. tfjs-backend-wasm's emscripten glue, when its module starts, adds two process listeners meant
 *    for a program that is only emscripten: `unhandledRejection` re-throws the reason and
 *    `uncaughtException` re-throws the error. In a kernel, a re-throw from such a listener ends the
 *    process, so one forgotten `await` on a promise that rejects restarts the kernel. We remove
 *    exactly those two listeners and keep everyone else's: tslab's own listeners then print the
 *    error into the cell as a warning; a plain node script with no listener of its own still stops
 *    on an unhandled rejection, as Node does by default.
 * 2. A tensor made before `initBackend()` gets tfjs's "backend 'wasm' has not yet been
 *    initialized" error, which names tfjs's calls, not ours. We add the call to make to that message
 *    (only the error path changes: the engine's backend getter is wrapped once, its result untouched).
 */
import * as tf from "@tensorflow/tfjs";

type Listener = (...args: unknown[]) => void;

/** Source text of a listener with whitespace squeezed, to compare with the glue's. */
const squeezed = (f: Listener): string => Function.prototype.toString.call(f).replace(/\s+/g, " ").trim();

/**
 * The emscripten glue's listeners (tfjs-backend-wasm 4.22, dist/tf-backend-wasm.node.js):
 *   process.on("uncaughtException", function (ex) { if (!(ex instanceof ExitStatus)) { throw ex; } });
 *   process.on("unhandledRejection", function (reason) { throw reason; });
 */
const GLUE: Record<"uncaughtException" | "unhandledRejection", RegExp> = {
  uncaughtException: /^function ?\(ex\) ?\{ ?if ?\(!\(ex instanceof ExitStatus\)\) ?\{ ?throw ex;? ?\} ?\}$/,
  unhandledRejection: /^function ?\(reason\) ?\{ ?throw reason;? ?\}$/,
};

/**
 * Remove the wasm glue's re-throwing process listeners (every copy: each module start adds a pair)
 * and return how many were removed. Other listeners stay. Safe to call any number of times.
 */
export function removeWasmExitListeners(): number {
  let removed = 0;
  const emitter: NodeJS.EventEmitter = process; // the plain emitter API: process's own overloads take one event name each
  for (const event of ["uncaughtException", "unhandledRejection"] as const) {
    for (const listener of emitter.listeners(event) as Listener[]) {
      if (GLUE[event].test(squeezed(listener))) {
        emitter.removeListener(event, listener);
        removed++;
      }
    }
  }
  return removed;
}

/** What to call, appended to tfjs's not-yet-initialised errors. */
export const INIT_HINT =
  'adm-ts: run `await lib.initBackend();` (import * as lib from "./lib/index") in the first cell, before any tensor is made; ' +
  "it picks the backend and waits until it is ready";

let hinted = false;

/**
 * Make tfjs's "backend ... has not yet been initialized" errors name `await lib.initBackend()`.
 * The engine's `backend` getter is wrapped on the engine object once; on success it returns the
 * same backend, on that one error it throws the same message with the hint (original as `cause`).
 */
export function hintInitBackendOnError(): void {
  if (hinted) return;
  hinted = true;
  const engine = tf.engine();
  let proto: object | null = Object.getPrototypeOf(engine);
  let desc: PropertyDescriptor | undefined;
  while (proto && !(desc = Object.getOwnPropertyDescriptor(proto, "backend"))) proto = Object.getPrototypeOf(proto);
  const get = desc?.get;
  if (!get) return; // a tfjs without a `backend` getter: leave its errors as they are
  Object.defineProperty(engine, "backend", {
    configurable: true,
    enumerable: false,
    get() {
      try {
        return get.call(this);
      } catch (e) {
        if (e instanceof Error && /has not yet been initialized/.test(e.message)) {
          throw new Error(`${e.message}.\n${INIT_HINT}.`, { cause: e });
        }
        throw e;
      }
    },
  });
}
