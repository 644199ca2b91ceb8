/** NumPy `.npz`: a zip of `<name>.npy` members. Reads STORED and DEFLATED (savez_compressed); writes STORED. */
import { LoadLimits, decodeBudget } from "./limits";
import { decodeNpy, npyHeader, recordBytes } from "./npy";
import { StateDict, TensorRecord } from "./tensor-record";
import { ZipReader } from "./zip-reader";
import { stageStoredZip } from "./zip-writer";
import type { StagedFile } from "./write-files";

/**
 * All arrays of an .npz, keyed by member name without `.npy`, in file order. Every member's size,
 * CRC-32 and header is checked, and all of them together may decode to at most the load's budget
 * (see limits.ts). Throws AdmInputError, naming the file and member, for anything it will not read.
 */
export function readNpz(path: string, limits?: LoadLimits): StateDict {
  const zip = new ZipReader(path);
  try {
    const budget = decodeBudget(path, zip.size, limits);
    const out: StateDict = new Map();
    for (const entry of zip.entries.values()) {
      if (!entry.name.endsWith(".npy")) continue;
      out.set(entry.name.slice(0, -4), decodeNpy(zip.read(entry, budget), path, budget, `member ${JSON.stringify(entry.name)}`));
    }
    return out;
  } finally {
    zip.close();
  }
}

/** Stage arrays as an uncompressed .npz (like numpy.savez) beside `path`; `commit()` puts it in place. */
export function stageNpz(path: string, arrays: Map<string, TensorRecord> | Record<string, TensorRecord>): StagedFile {
  const entries = arrays instanceof Map ? [...arrays] : Object.entries(arrays);
  return stageStoredZip(
    path,
    entries.map(([name, t]) => ({ name: `${name}.npy`, chunks: [npyHeader(t, `${path}:${name}`), recordBytes(t)] })),
  );
}

/** Write arrays as an uncompressed .npz (like numpy.savez), atomically. */
export function writeNpz(path: string, arrays: Map<string, TensorRecord> | Record<string, TensorRecord>): void {
  stageNpz(path, arrays).commit();
}
