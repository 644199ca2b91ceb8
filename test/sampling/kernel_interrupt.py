"""Interrupt a sampling cell in a real tslab kernel through the Jupyter client, as a user's Stop
button does, then run the next cell; print what happened as one JSON line for
test/sampling/kernel-interrupt.test.ts.

Usage: python3 test/sampling/kernel_interrupt.py
Cells: (1) load a shipped course model onto the engine; (2) sample with 1000 DDIM steps, counting
steps, interrupted by KernelManager.interrupt_kernel() (SIGINT) once two steps are done; (3) read
the step count, wait 2 s, read it again (a loop still running in the background would have moved
on), and run one more forward on the same engine.
"""
import json
import os
import sys
import time

from jupyter_client.manager import start_new_kernel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ["JUPYTER_PATH"] = os.path.join(ROOT, "jupyter") + os.pathsep + os.environ.get("JUPYTER_PATH", "")

# Declarations of a cell with top-level await stay inside it (tslab wraps it in an async function),
# so the cells share one object declared by a cell without await.
IMPORTS = """
import * as tf from "@tensorflow/tfjs";
import { initBackend, course, diffusion, engine, sampling } from "./lib/index";
const s: any = { steps: 0 };
"""

SETUP = """
await initBackend();
const choice = engine.chooseEngine({ engine: "onnx", threads: 1 });
console.log(engine.describeEngine(choice));
const trained = course.loadTrainedDiffusion("models/fashion-cond");
s.net = await course.unetOnEngine(trained.net, choice);
s.d = diffusion.createGaussianDiffusion(trained.diffusion);
s.y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], "int32");
"""

SAMPLE = """
await sampling.sample(sampling.ddim, s.d, s.net, [8, 32, 32, 1], {
  steps: 1000, modelKwargs: { y: s.y }, callback: () => { if (++s.steps === 2) console.log("sampling"); },
});
console.log("sampling finished");
"""

AFTER = """
const stepsThen = s.steps;
await new Promise((resolve) => setTimeout(resolve, 2000));
const out = await s.net.forward(tf.zeros([1, 32, 32, 1]) as tf.Tensor4D, tf.tensor1d([10]), tf.tensor1d([3], "int32"));
console.log(JSON.stringify({ stepsThen, stepsLater: s.steps, nextForward: out.shape }));
"""


def execute(kc, code, timeout, on_output=None):
    """Run `code`; return (reply status, stdout text, error text). `on_output(text)` sees each stream chunk."""
    msg_id = kc.execute(code)
    out, err = [], []
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            (out if content["name"] == "stdout" else err).append(content["text"])
            if on_output:
                on_output(content["text"])
        elif kind == "error":
            err.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]["status"], "".join(out), "".join(err)


def main():
    km, kc = start_new_kernel(kernel_name="tslab", startup_timeout=120, cwd=ROOT)
    result = {}
    try:
        status, out, err = execute(kc, IMPORTS + "\n", 120)
        if status == "ok":
            status, out, err = execute(kc, SETUP, 120)
        result["setup"] = {"status": status, "out": out.strip(), "err": err.strip()}
        if status != "ok":
            return result
        started = time.time()

        def interrupt_when_sampling(text):
            if "sampling" in text and "finished" not in text and "interruptedAfter" not in result:
                result["interruptedAfter"] = round(time.time() - started, 2)
                km.interrupt_kernel()

        status, out, err = execute(kc, SAMPLE, 120, interrupt_when_sampling)
        result["sample"] = {"status": status, "out": out.strip(), "err": err.strip(), "seconds": round(time.time() - started, 2)}
        # tslab aborts the requests that reach it within 200 ms of a failed cell (its issue 19)
        time.sleep(0.5)
        status, out, err = execute(kc, AFTER, 60)
        result["after"] = {"status": status, "out": out.strip(), "err": err.strip()}
        return result
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    print(json.dumps(main()))
    sys.stdout.flush()
