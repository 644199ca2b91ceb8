/** Shared by the golden tests: fixture paths, NCHW <-> NHWC, max abs difference. */
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { readNpz, TensorRecord, toFloat32 } from "../../lib/io";

export const FIXTURES = path.resolve(__dirname, "../fixtures/models");

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** Arrays of a golden .npz, keyed by name. */
export function golden(name: string): Map<string, TensorRecord> {
  return readNpz(fixture(`${name}.npz`));
}

/** An NCHW float record as an NHWC tensor. */
export function nhwc(r: TensorRecord): tf.Tensor4D {
  return tf.tidy(() => tf.tensor4d(toFloat32(r), r.shape as [number, number, number, number]).transpose([0, 2, 3, 1]));
}

/** An int64 record as an int32 1-D tensor. */
export function ints(r: TensorRecord): tf.Tensor1D {
  return tf.tensor1d(Array.from(r.data as BigInt64Array, Number), "int32");
}

/** max |a - b| over all elements. */
export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}
