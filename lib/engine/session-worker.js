// The ONNX Runtime session of one model, inside a worker thread: `session.run` blocks the thread it
// runs on (onnxruntime issues 19611, 26968), so it runs here and the main thread (a notebook kernel)
// stays responsive. One session per worker, created once and kept until "release" (recreating
// sessions leaks, onnxruntime issue 25325). Plain JavaScript so that the worker starts without a
// TypeScript loader; ./session.ts is its only client and documents the messages.
"use strict";
const { parentPort } = require("worker_threads");
const ort = require("onnxruntime-node");

let session = null;

function toOrt(feeds) {
  const out = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = new ort.Tensor(t.type, t.data, t.dims);
  return out;
}

/** Outputs as plain typed arrays in buffers of their own, so they can be transferred. */
function fromOrt(results) {
  const out = {};
  const transfer = [];
  for (const [name, t] of Object.entries(results)) {
    const data = t.data.slice();
    out[name] = { type: t.type, data, dims: Array.from(t.dims) };
    transfer.push(data.buffer);
  }
  return { out, transfer };
}

async function handle(msg) {
  switch (msg.type) {
    case "create": {
      const options = { ...msg.options };
      if (msg.externalData) options.externalData = [msg.externalData];
      session = await ort.InferenceSession.create(msg.model, options);
      return { reply: { inputNames: session.inputNames, outputNames: session.outputNames }, transfer: [] };
    }
    case "run": {
      if (!session) throw new Error("the session was released");
      const { out, transfer } = fromOrt(await session.run(toOrt(msg.feeds)));
      return { reply: { outputs: out }, transfer };
    }
    case "release": {
      if (session) await session.release();
      session = null;
      return { reply: {}, transfer: [] };
    }
    default:
      throw new Error(`unknown message type ${msg.type}`);
  }
}

// messages are handled one at a time, in order
let queue = Promise.resolve();
parentPort.on("message", (msg) => {
  queue = queue.then(async () => {
    try {
      const { reply, transfer } = await handle(msg);
      parentPort.postMessage({ id: msg.id, ok: true, ...reply }, transfer);
    } catch (e) {
      parentPort.postMessage({ id: msg.id, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  });
});
