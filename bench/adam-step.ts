/**
 * Milliseconds per Adam step of a small conv net on wasm with our kernels, wasm without them, and
 * the pure-JS cpu backend.
 *
 *   node scripts/run-ts.js bench/adam-step.ts [batch=16] [cpuBatch=2]
 *
 * The net: 3x3 conv 1->32 on 32x32x1, ResBlock(32), 2x2 average pool, ResBlock(32->64, 1x1 skip),
 * nearest upsample x2, GroupNorm + SiLU + 3x3 conv 64->1, mean squared error. ResBlock =
 * GN(8) SiLU conv3x3 GN(8) SiLU conv3x3 + skip. Stock wasm has no Conv2DBackpropFilter, so it cannot
 * take an Adam step; for it (and for comparison, the others) the table also times forward + dx
 * (the gradient with respect to the input only).
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import * as os from "os";
import { fixCpuKernels, registerWasmKernels } from "../lib/backend/kernels";

type Params = Record<string, tf.Variable>;

const SHAPES: Record<string, number[]> = {
  convIn: [3, 3, 1, 32],
  r1gn1: [32],
  r1b1: [32],
  r1c1: [3, 3, 32, 32],
  r1gn2: [32],
  r1b2: [32],
  r1c2: [3, 3, 32, 32],
  r2gn1: [32],
  r2b1: [32],
  r2c1: [3, 3, 32, 64],
  r2gn2: [64],
  r2b2: [64],
  r2c2: [3, 3, 64, 64],
  r2skip: [1, 1, 32, 64],
  outGn: [64],
  outB: [64],
  convOut: [3, 3, 64, 1],
};

function makeParams(): Params {
  const p: Params = {};
  for (const [name, shape] of Object.entries(SHAPES)) {
    const fanIn = shape.length === 4 ? shape[0] * shape[1] * shape[2] : 0;
    const init = fanIn ? tf.randomNormal(shape, 0, Math.sqrt(1 / fanIn), "float32", 1) : name.includes("gn") ? tf.ones(shape) : tf.zeros(shape);
    p[name] = tf.variable(init, true, `${name}_${Math.random().toString(36).slice(2)}`);
    init.dispose();
  }
  return p;
}

function gnSilu(h: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  const [b, hh, w, c] = h.shape;
  const g = h.reshape([b, hh, w, 8, c / 8]);
  const { mean, variance } = tf.moments(g, [1, 2, 4], true);
  const n = g.sub(mean).div(variance.add(1e-5).sqrt()).reshape(h.shape).mul(gamma).add(beta);
  return n.mul(tf.sigmoid(n)) as tf.Tensor4D;
}

function resBlock(x: tf.Tensor4D, p: Params, k: string, skip?: tf.Variable): tf.Tensor4D {
  let h = tf.conv2d(gnSilu(x, p[`${k}gn1`], p[`${k}b1`]), p[`${k}c1`] as tf.Tensor4D, 1, "same");
  h = tf.conv2d(gnSilu(h, p[`${k}gn2`], p[`${k}b2`]), p[`${k}c2`] as tf.Tensor4D, 1, "same");
  return h.add(skip ? tf.conv2d(x, skip as tf.Tensor4D, 1, "same") : x);
}

function net(x: tf.Tensor4D, p: Params): tf.Tensor4D {
  let h = tf.conv2d(x, p.convIn as tf.Tensor4D, 1, "same");
  h = resBlock(h, p, "r1");
  h = tf.avgPool(h, 2, 2, "valid");
  h = resBlock(h, p, "r2", p.r2skip);
  h = tf.image.resizeNearestNeighbor(h, [32, 32]);
  return tf.conv2d(gnSilu(h, p.outGn, p.outB), p.convOut as tf.Tensor4D, 1, "same");
}

const mse = (x: tf.Tensor4D, p: Params) => net(x, p).sub(x).square().mean() as tf.Scalar;

/** Mean ms of `fn` after one warm-up call, repeated until `budgetMs` is spent (at least once). */
function timeIt(fn: () => void, budgetMs: number): number {
  fn();
  const start = Date.now();
  let n = 0;
  do {
    fn();
    n++;
  } while (Date.now() - start < budgetMs);
  return (Date.now() - start) / n;
}

interface Row {
  backend: string;
  what: string;
  batch: number;
  ms: number | string;
}

function measure(backend: string, batch: number, budgetMs: number, withStep: boolean): Row[] {
  const p = makeParams();
  const x = tf.randomNormal([batch, 32, 32, 1], 0, 1, "float32", 2) as tf.Tensor4D;
  const opt = tf.train.adam(1e-4);
  const fwdDx = () =>
    tf.tidy(() =>
      tf
        .grad((xx: tf.Tensor) => mse(xx as tf.Tensor4D, p))(x)
        .dispose(),
    );
  const step = () => opt.minimize(() => mse(x, p), true)?.dispose();
  const rows: Row[] = [{ backend, what: "forward + dx", batch, ms: timeIt(fwdDx, budgetMs) }];
  if (withStep) {
    rows.push({ backend, what: "Adam step", batch, ms: timeIt(step, budgetMs) });
  } else {
    let error = "";
    try {
      step();
    } catch (e) {
      error = (e as Error).message.split("\n")[0];
    }
    rows.push({ backend, what: "Adam step", batch, ms: `cannot run: ${error || "?"}` });
  }
  opt.dispose();
  tf.dispose([x, ...Object.values(p)]);
  return rows;
}

function print(rows: Row[]): void {
  const perSample = (r: Row) => (typeof r.ms === "number" ? r.ms / r.batch : NaN);
  const ref = (what: string) => perSample(rows.find((r) => r.backend === "wasm (our kernels)" && r.what === what)!);
  console.log("| backend | measured | batch | ms | ms / sample | x slower than patched wasm (per sample) |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    const ms = typeof r.ms === "number" ? r.ms.toFixed(0) : r.ms;
    const ps = perSample(r);
    const ratio = Number.isNaN(ps) ? "" : (ps / ref(r.what)).toFixed(1);
    console.log(`| ${r.backend} | ${r.what} | ${r.batch} | ${ms} | ${Number.isNaN(ps) ? "" : ps.toFixed(1)} | ${ratio} |`);
  }
}

async function main(): Promise<void> {
  const batch = Number(process.argv[2] ?? 16);
  const cpuBatch = Number(process.argv[3] ?? 2);
  const [load1] = os.loadavg();
  const params = Object.values(SHAPES).reduce((n, s) => n + tf.util.sizeFromShape(s), 0);
  console.log(`Adam step bench: 32x32x1 input, ${params} params, ${os.cpus().length} cores, load average ${load1.toFixed(2)} at start`);
  const rows: Row[] = [];
  // Stock wasm first: registering our kernels changes the global kernel registry for good.
  await tf.setBackend("wasm");
  await tf.ready();
  rows.push(...measure("wasm (stock)", batch, 4000, false));
  registerWasmKernels();
  rows.push(...measure("wasm (our kernels)", batch, 4000, true));
  await tf.setBackend("cpu");
  fixCpuKernels();
  rows.push(...measure("cpu (stock + resize fix)", cpuBatch, 1, true));
  print(rows);
  console.log(`load average ${os.loadavg()[0].toFixed(2)} at end (other processes share the cores)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
