/**
 * A notebook cell sampling on the engine can be interrupted from Jupyter, and the kernel then runs
 * the next cell: test/sampling/kernel_interrupt.py drives a real tslab kernel with the Jupyter
 * client (KernelManager.interrupt_kernel sends SIGINT, as a front end's Stop button does).
 */
import { spawnSync } from "child_process";
import { resolve } from "path";

const DRIVER = resolve(__dirname, "kernel_interrupt.py");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findPython, HOW_TO } = require("../../scripts/jupyter-env") as { findPython: () => string | undefined; HOW_TO: string };

test("interrupting a sampling cell stops the loop, and the next cell runs on the same engine", () => {
  const python = findPython();
  if (!python) throw new Error(`this test drives a Jupyter kernel. ${HOW_TO}`);
  const r = spawnSync(python, [DRIVER], { encoding: "utf8", timeout: 110000 });
  expect(r.stderr).not.toMatch(/Traceback/);
  const result = JSON.parse(r.stdout.trim().split("\n").pop()!);
  console.log(`setup: ${result.setup.out.split("\n")[0]}; interrupted ${result.interruptedAfter} s into sampling; next cell: ${result.after.out}`);
  expect(result.setup.status).toBe("ok");
  expect(result.setup.out).toMatch(/^engine: onnx \(ONNX Runtime [\d.]+, cpu, 1 thread\); asked for by engine=onnx/);
  // the cell ended at the interrupt, long before its 1000 steps
  expect(result.sample.status).toBe("error");
  expect(result.sample.err).toMatch(/Interrupted/);
  expect(result.sample.out).not.toMatch(/sampling finished/);
  expect(result.after.status).toBe("ok");
  const after = JSON.parse(result.after.out);
  // the loop stopped: no step was taken in the 2 s the next cell waited (one takes ~0.1 s)
  expect(after.stepsLater).toBe(after.stepsThen);
  expect(after.stepsThen).toBeLessThan(50);
  expect(after.nextForward).toEqual([1, 32, 32, 2]);
}, 120000);
