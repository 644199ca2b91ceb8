/**
 * A kernel interrupt as an AbortSignal. Jupyter interrupts a tslab kernel by sending SIGINT to its
 * process; tslab then stops awaiting the running cell (the cell ends with "Interrupted
 * asynchronously") but leaves whatever the cell started running in the background, where a
 * sampling loop would go on stepping, and queueing work on an engine's worker, while the next cell
 * runs. Inside a tslab kernel the sampling loops therefore also listen to `kernelInterruptSignal()`:
 * the interrupt aborts it, the loop stops at its pending model call or at the next step, and the
 * next cell finds the process quiet. Outside a kernel (scripts, tests) nothing is installed, so
 * Ctrl-C keeps its default meaning there.
 */

/** State shared by every copy of this module in the process (tslab may evaluate a file again). */
interface KernelInterrupt {
  controller: AbortController;
}

const KEY = Symbol.for("adm-ts.kernelInterrupt");

/** True inside a tslab kernel: its executor publishes `globalThis.__tslab__` before any cell runs. */
export function inTslabKernel(): boolean {
  return (globalThis as Record<string, unknown>).__tslab__ !== undefined;
}

/**
 * Inside a tslab kernel: a signal that aborts at the next SIGINT (kernel interrupt). Each interrupt
 * aborts the current signal and puts a fresh one in its place, so that only the work running when
 * the interrupt came is stopped, not the next cell's. Outside a kernel: undefined.
 */
export function kernelInterruptSignal(): AbortSignal | undefined {
  if (!inTslabKernel()) return undefined;
  const g = globalThis as unknown as Record<symbol, KernelInterrupt | undefined>;
  let state = g[KEY];
  if (!state) {
    const s: KernelInterrupt = { controller: new AbortController() };
    const onInterrupt = () => {
      const interrupted = s.controller;
      s.controller = new AbortController();
      interrupted.abort(new Error("sampling stopped: the kernel was interrupted"));
    };
    // Listen from a microtask, once the cell's synchronous part has returned: tslab runs it under
    // vm's breakOnSigint watchdog, which on leaving puts SIGINT's default action back over any
    // listener added meanwhile, and the interrupt would then kill the kernel.
    queueMicrotask(() => process.on("SIGINT", onInterrupt));
    g[KEY] = state = s;
  }
  return state.controller.signal;
}

/** `signal` joined with the kernel's interrupt signal (either one aborts it); `signal` itself outside a kernel. */
export function withKernelInterrupt(signal?: AbortSignal): AbortSignal | undefined {
  const kernel = kernelInterruptSignal();
  if (!kernel) return signal;
  return signal ? AbortSignal.any([signal, kernel]) : kernel;
}
