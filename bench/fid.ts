/**
 * Seconds for the metric arithmetic of ADM's evaluator, on synthetic features: float64 statistics
 * (mean, covariance), the Frechet distance (symmetric eigensolver, O(d^3)), and precision/recall
 * (k = 3, tfjs matmul distances in blocks), for n samples per set.
 *
 *   node scripts/run-ts.js bench/fid.ts [n=10000] [dims=64,2048]
 */
import * as os from "os";
import { initBackend } from "../lib/backend";
import { FeatureMatrix } from "../lib/metrics/feature-matrix";
import { frechetDistance } from "../lib/metrics/frechet";
import { precisionRecall } from "../lib/metrics/precision-recall";
import { computeStatistics } from "../lib/metrics/statistics";

/** n x d features: Gaussian with a per-dimension scale, shifted by `shift` (a stand-in for two image sets). */
function features(n: number, d: number, seed: number, shift: number): FeatureMatrix {
  let state = seed;
  const uniform = (): number => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const data = new Float64Array(n * d);
  for (let i = 0; i < data.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform())),
      a = 2 * Math.PI * uniform();
    data[i] = r * Math.cos(a) * (1 + (i % d) / d) + shift;
    if (i + 1 < data.length) data[i + 1] = r * Math.sin(a) * (1 + ((i + 1) % d) / d) + shift;
  }
  return { data, shape: [n, d] };
}

function seconds(start: number): string {
  return ((Date.now() - start) / 1000).toFixed(2);
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10000);
  const dims = (process.argv[3] ?? "64,2048").split(",").map(Number);
  const backend = await initBackend();
  console.log(`backend ${backend.name}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), n = ${n} per set`);
  console.log("| d | statistics x2 (s) | FID (s) | precision/recall (s) | FID | precision | recall |");
  console.log("|--:|--:|--:|--:|--:|--:|--:|");
  for (const d of dims) {
    const real = features(n, d, 1, 0),
      fake = features(n, d, 2, 0.05);
    let t = Date.now();
    const a = computeStatistics(real),
      b = computeStatistics(fake);
    const tStats = seconds(t);
    t = Date.now();
    const fid = frechetDistance(a, b);
    const tFid = seconds(t);
    t = Date.now();
    const pr = precisionRecall(real, fake);
    const tPr = seconds(t);
    console.log(`| ${d} | ${tStats} | ${tFid} | ${tPr} | ${fid.toFixed(4)} | ${pr.precision.toFixed(4)} | ${pr.recall.toFixed(4)} |`);
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
