/**
 * Run by torch-checkpoint.test.ts in a fresh process, where the peak RSS starts low: reads FILE tensor
 * by tensor ("stream") or whole ("whole") and prints the peak RSS growth in MiB.
 */
import { loadTorchCheckpoint, openTorchCheckpoint } from "../../lib/io/torch-checkpoint";
import { peakGrowthMiB } from "../helpers/memory";

const [file, mode] = process.argv.slice(2);
let kept = 0;
const growth = peakGrowthMiB(() => {
  if (mode === "stream") {
    const reader = openTorchCheckpoint(file);
    for (const name of reader.tensors.keys()) kept += reader.read(name).data.length > 0 ? 1 : 0;
    reader.close();
  } else {
    kept = loadTorchCheckpoint(file).size;
  }
});
console.log(JSON.stringify({ growth, kept }));
