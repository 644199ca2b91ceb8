// The NumPy/SciPy reference values written by test/fixtures/metrics/make_reference.py.
import { readFileSync } from "fs";
import { join } from "path";
import { FeatureMatrix } from "../../lib/metrics/feature-matrix";

export interface FidCase {
  name: string;
  a: number[];
  b: number[];
  n_a: number;
  n_b: number;
  d: number;
  fid: number;
  mu_a: number[];
  sigma_a: number[];
}
export interface PrCase {
  real: number[];
  fake: number[];
  n_real: number;
  n_fake: number;
  d: number;
  k: number;
  precision: number;
  recall: number;
}
export interface IsCase {
  probs: number[];
  n: number;
  k: number;
  split: number;
  score: number;
}

export const reference: { fid: FidCase[]; precision_recall: PrCase[]; inception_score: IsCase } = JSON.parse(
  readFileSync(join(__dirname, "../fixtures/metrics/reference.json"), "utf8"),
);

export function matrix(values: number[], n: number, d: number): FeatureMatrix {
  return { data: Float64Array.from(values), shape: [n, d] };
}
