/** NumPy `.npz`: a zip of `<name>.npy` members. Reads STORED and DEFLATED (savez_compressed); writes STORED. */
import { parseNpy, npyHeader, recordBytes } from "./npy";
import { StateDict, TensorRecord } from "./tensor-record";
import { ZipReader } from "./zip-reader";
import { writeStoredZip } from "./zip-writer";

/** All arrays of an .npz, keyed by member name without `.npy`, in file order. */
export function readNpz(path: string): StateDict {
  const zip = new ZipReader(path);
  try {
    const out: StateDict = new Map();
    for (const entry of zip.entries.values()) {
      if (!entry.name.endsWith(".npy")) continue;
      out.set(entry.name.slice(0, -4), parseNpy(zip.read(entry), `${path}:${entry.name}`));
    }
    return out;
  } finally {
    zip.close();
  }
}

/** Write arrays as an uncompressed .npz (like numpy.savez), atomically. */
export function writeNpz(path: string, arrays: Map<string, TensorRecord> | Record<string, TensorRecord>): void {
  const entries = arrays instanceof Map ? [...arrays] : Object.entries(arrays);
  writeStoredZip(path, entries.map(([name, t]) => ({ name: `${name}.npy`, chunks: [npyHeader(t, `${path}:${name}`), recordBytes(t)] })));
}
