// The kernel, through the real Jupyter client, is tested in test/scripts/front-end.test.ts; here the
// two pieces on their own. The order matters: the first test needs a process with no backend yet.
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { INIT_HINT, removeWasmExitListeners } from "../../lib/backend/kernel-session";

type Listener = (...args: unknown[]) => void;
const EVENTS = ["uncaughtException", "unhandledRejection"] as const;
const listeners = (event: string): Listener[] => (process as NodeJS.EventEmitter).listeners(event) as Listener[];

describe("before initBackend", () => {
  it("a tensor fails with tfjs's message and the call to make", () => {
    expect(() => tf.tensor([1, 2])).toThrow(/backend 'wasm' has not yet been initialized[\s\S]*await lib\.initBackend\(\);/);
    expect(INIT_HINT).toContain("await lib.initBackend();");
  });
});

describe("initBackend in a long session", () => {
  const mine: Listener = () => undefined;
  let calls: [string, Listener][] = [];

  beforeAll(async () => {
    for (const e of EVENTS) process.on(e, mine);
    const on = jest.spyOn(process, "on");
    await initBackend("wasm");
    calls = on.mock.calls.filter(([e]) => (EVENTS as readonly string[]).includes(e as string)) as [string, Listener][];
    on.mockRestore();
  });

  afterAll(() => {
    for (const e of EVENTS) process.removeListener(e, mine);
  });

  it("removes the listeners the wasm glue added when its module started, and keeps everyone else's", () => {
    // the glue added one re-throwing listener per event ...
    expect(calls.map(([e]) => e).sort()).toEqual(["uncaughtException", "unhandledRejection"]);
    expect(() => calls.find(([e]) => e === "unhandledRejection")![1](new Error("r"))).toThrow("r");
    // ... and none of them is left, while ours is
    for (const [e, listener] of calls) expect(listeners(e)).not.toContain(listener);
    for (const e of EVENTS) expect(listeners(e)).toContain(mine);
    expect(removeWasmExitListeners()).toBe(0);
  });

  it("finds the glue's listeners by their source, and only those", () => {
    const glueRejection = function (reason: unknown) {
      throw reason;
    };
    const lookalike = (reason: unknown): void => {
      throw reason;
    }; // an arrow function: not the glue's
    process.on("unhandledRejection", glueRejection);
    process.on("unhandledRejection", lookalike);
    expect(removeWasmExitListeners()).toBe(1);
    expect(listeners("unhandledRejection")).not.toContain(glueRejection);
    expect(listeners("unhandledRejection")).toContain(lookalike);
    process.removeListener("unhandledRejection", lookalike);
  });

  it("leaves the engine's backend and results as they were", () => {
    const engine = tf.engine();
    const stock = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(engine), "backend")!.get!;
    expect(engine.backend).toBe(stock.call(engine));
    expect(Array.from(tf.tensor([1.5, -2]).mul(2).dataSync())).toEqual([3, -4]);
  });
});
