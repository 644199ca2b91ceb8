/**
 * Run by torch-checkpoint.test.ts in its own process with --expose-gc: reads FILE tensor by tensor
 * ("stream") or whole ("whole") and prints how many MiB of array buffers were alive at most beyond
 * the start, collecting garbage after each tensor so that only what the reader keeps is counted.
 */
import { loadTorchCheckpoint, openTorchCheckpoint } from "../../lib/io/torch-checkpoint";

const [file, mode] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const live = (): number => {
  gc();
  return process.memoryUsage().arrayBuffers / 2 ** 20;
};
const base = live();
let peak = 0;
let kept = 0;
if (mode === "stream") {
  const reader = openTorchCheckpoint(file);
  for (const name of reader.tensors.keys()) {
    const t = reader.read(name);
    kept += t.data.length > 0 ? 1 : 0;
    peak = Math.max(peak, live() - base);
  }
  reader.close();
} else {
  const all = loadTorchCheckpoint(file);
  kept = all.size;
  peak = live() - base;
}
console.log(JSON.stringify({ growth: peak, kept }));
