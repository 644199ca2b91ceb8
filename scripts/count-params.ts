/**
 * Print the parameter counts of the paper's Table 11 models and the released classifiers, computed
 * from shapes alone (no tensors are allocated), beside the sizes the paper reports.
 *   adm-ts count-params
 */
import { RELEASED_CLASSIFIERS, TABLE_11_MODELS, countParameters } from "../lib/models/index";
import { parseFlags } from "./cli-args";

/** Model sizes as the paper's Table 11 states them (millions). */
const PAPER_MILLIONS: Record<string, number> = { lsun256: 552, imagenet64: 296, imagenet128: 422, imagenet256: 554, imagenet512: 559 };

export async function main(argv: string[]): Promise<void> {
  if (!parseFlags(argv, {}, "usage: adm-ts count-params\nPrints exact parameter counts of ADM's Table 11 models and the released classifiers.")) return;
  const rows: [string, number, string][] = [
    ...Object.entries(TABLE_11_MODELS).map(([k, f]): [string, number, string] => [`diffusion ${k}`, countParameters(f), `paper: ${PAPER_MILLIONS[k]}M`]),
    ...Object.entries(RELEASED_CLASSIFIERS).map(([k, f]): [string, number, string] => [`classifier ${k}`, countParameters(f), ""]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [name, n, paper] of rows) {
    console.log(`${name.padEnd(width)}  ${n.toLocaleString("en-US").padStart(11)}  (${((n * 4) / 2 ** 30).toFixed(2)} GiB float32)  ${paper}`);
  }
}
