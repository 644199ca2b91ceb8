/**
 * Print the parameter counts of the paper's Table 11 models and the released classifiers, computed
 * from shapes alone (no tensors are allocated). Usage: node scripts/run-ts.js scripts/count-params.ts
 */
import { RELEASED_CLASSIFIERS, TABLE_11_MODELS, countClassifierParameters, countParameters } from "../lib/models";

const rows: [string, number][] = [
  ...Object.entries(TABLE_11_MODELS).map(([k, f]): [string, number] => [`diffusion ${k}`, countParameters(f)]),
  ...Object.entries(RELEASED_CLASSIFIERS).map(([k, f]): [string, number] => [`classifier ${k}`, countClassifierParameters(f)]),
];
const width = Math.max(...rows.map(([k]) => k.length));
for (const [name, n] of rows) {
  console.log(`${name.padEnd(width)}  ${n.toLocaleString("en-US").padStart(11)}  (${((n * 4) / 2 ** 30).toFixed(2)} GiB float32)`);
}
