/**
 * The loop's AbortSignal reaches the model and the condFn, and inside a tslab kernel a SIGINT (how
 * Jupyter interrupts it) aborts the running sample. The kernel is simulated here by publishing
 * `__tslab__` and emitting SIGINT on the process; test/sampling/kernel-interrupt.test.ts does it
 * through a real Jupyter kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion } from "../../lib/diffusion";
import { ddim, inTslabKernel, kernelInterruptSignal, sample, withKernelInterrupt, type SamplingModel } from "../../lib/sampling";
import { gaussianEpsModel } from "./toy-models";

const base = createGaussianDiffusion({ steps: 1000 });
const exact = gaussianEpsModel(base.alphasCumprod, 0.3, 0.4);
const g = globalThis as Record<string, unknown>;

beforeAll(async () => {
  await initBackend("wasm");
});

afterEach(() => {
  delete g.__tslab__;
});

/**
 * The exact model answering after `ms` (its output made then, as an engine's is), or rejecting at
 * once when the signal it was given aborts.
 */
function slowModel(ms: number, seen: (AbortSignal | undefined)[]): SamplingModel {
  return {
    forward: (x, t, y, opts) => {
      const signal = opts?.signal;
      seen.push(signal);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(exact.forward(x, t, y)), ms);
        signal?.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
      });
    },
  };
}

test("the loop hands its signal to the model and to the condFn", async () => {
  const seen: (AbortSignal | undefined)[] = [];
  const condSignals: (AbortSignal | undefined)[] = [];
  const controller = new AbortController();
  const x = await sample(ddim, base, slowModel(0, seen), [2, 1, 1, 1], {
    steps: 3,
    seed: 1,
    signal: controller.signal,
    modelKwargs: { y: tf.tensor1d([0, 1], "int32") },
    condFn: (xx, _t, _kw, opts) => (condSignals.push(opts?.signal), tf.zerosLike(xx)),
  });
  x.dispose();
  expect(seen).toEqual([controller.signal, controller.signal, controller.signal]);
  expect(condSignals).toEqual(seen);
});

test("outside a tslab kernel nothing listens to SIGINT", () => {
  expect(inTslabKernel()).toBe(false);
  expect(kernelInterruptSignal()).toBeUndefined();
  const own = new AbortController().signal;
  expect(withKernelInterrupt(own)).toBe(own);
  expect(withKernelInterrupt()).toBeUndefined();
});

describe("inside a tslab kernel", () => {
  test("a SIGINT aborts the current signal and puts a fresh one in its place", async () => {
    g.__tslab__ = {};
    const first = kernelInterruptSignal()!;
    // the listener is added from a microtask
    await Promise.resolve();
    expect(first.aborted).toBe(false);
    expect(kernelInterruptSignal()).toBe(first);
    process.emit("SIGINT");
    expect(first.aborted).toBe(true);
    expect(String(first.reason)).toMatch(/the kernel was interrupted/);
    const next = kernelInterruptSignal()!;
    expect(next).not.toBe(first);
    expect(next.aborted).toBe(false);
    // joined with a caller's own signal, either one aborts
    const own = new AbortController();
    const joined = withKernelInterrupt(own.signal)!;
    own.abort(new Error("mine"));
    expect(joined.aborted).toBe(true);
  });

  test("an interrupt stops a running sample at its pending model call and frees its tensors", async () => {
    g.__tslab__ = {};
    (await sample(ddim, base, exact, [2, 1, 1, 1], { steps: 200, seed: 2 })).dispose();
    const before = tf.memory().numTensors;
    const seen: (AbortSignal | undefined)[] = [];
    let steps = 0;
    const run = sample(ddim, base, slowModel(20, seen), [2, 1, 1, 1], {
      steps: 200,
      seed: 2,
      callback: () => ++steps === 3 && setTimeout(() => process.emit("SIGINT"), 5),
    });
    await expect(run).rejects.toThrow(/the kernel was interrupted/);
    expect(steps).toBe(3);
    // the fourth call was pending when the interrupt came, and no fifth was made
    expect(seen.length).toBe(4);
    expect(seen[3]?.aborted).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    // the next sample runs: the interrupt stopped only the one that was running
    (await sample(ddim, base, exact, [2, 1, 1, 1], { steps: 5, seed: 3 })).dispose();
  });
});
