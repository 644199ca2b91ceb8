/**
 * Read a `torch.save` file (the zip format of PyTorch >= 1.6) holding a state_dict, without Python and
 * without executing anything: `<any>/data.pkl` is interpreted by a restricted unpickler that accepts
 * only OrderedDict, tensor rebuilding and storage types, and each tensor's bytes are read from its
 * `<any>/data/<key>` entry at the tensor's storage offset. Half and bfloat16 are upcast to float32.
 */
import { endianness } from "os";
import { unpickle, PickleGlobal } from "./pickle";
import { DType, DTYPE_BYTES, StateDict, TensorRecord, allocData, shapeSize, toFloat32 } from "./tensor-record";
import { ZipReader } from "./zip-reader";

const STORAGE_DTYPES: Record<string, DType> = {
  "torch.FloatStorage": "float32",
  "torch.HalfStorage": "float16",
  "torch.BFloat16Storage": "bfloat16",
  "torch.DoubleStorage": "float64",
  "torch.LongStorage": "int64",
  "torch.IntStorage": "int32",
};

const ALLOWED = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  ...Object.keys(STORAGE_DTYPES),
]);

interface StorageRef { kind: "storage"; dtype: DType; key: string; numel: number }
interface TensorRef { kind: "tensor"; storage: StorageRef; offset: number; shape: number[]; stride: number[] }

function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === "object" && v !== null && (v as TensorRef).kind === "tensor";
}

function toInts(v: unknown, what: string, path: string): number[] {
  if (!Array.isArray(v) || !v.every((d) => typeof d === "number")) throw new Error(`${path}: corrupt tensor ${what}`);
  return v as number[];
}

function unpickleStateDict(pkl: Uint8Array, path: string): Map<unknown, unknown> {
  const obj = unpickle(pkl, {
    source: path,
    allowedGlobals: ALLOWED,
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid[0] !== "storage") throw new Error(`${path}: unsupported persistent id ${JSON.stringify(pid)}`);
      const cls = pid[1] as PickleGlobal;
      const dtype = cls && cls.kind === "global" ? STORAGE_DTYPES[`${cls.module}.${cls.name}`] : undefined;
      if (!dtype) throw new Error(`${path}: storage of unsupported type ${cls && cls.kind === "global" ? `${cls.module}.${cls.name}` : String(cls)}`);
      return { kind: "storage", dtype, key: String(pid[2]), numel: Number(pid[4]) } as StorageRef;
    },
    reduce(fn, args) {
      const full = `${fn.module}.${fn.name}`;
      if (full === "collections.OrderedDict") return new Map(args.length ? (args[0] as [unknown, unknown][]) : []);
      if (full === "torch._utils._rebuild_parameter") return args[0];
      if (full === "torch._utils._rebuild_tensor_v2") {
        const storage = args[0] as StorageRef;
        if (!storage || storage.kind !== "storage") throw new Error(`${path}: corrupt tensor (no storage)`);
        return { kind: "tensor", storage, offset: Number(args[1]), shape: toInts(args[2], "size", path), stride: toInts(args[3], "stride", path) } as TensorRef;
      }
      throw new Error(`${path}: ${full} cannot be called`);
    },
  });
  if (!(obj instanceof Map)) throw new Error(`${path}: the pickle holds a ${Array.isArray(obj) ? "list" : typeof obj}, not a state_dict (a dict of tensors)`);
  return obj;
}

function checkContiguous(name: string, t: TensorRef, path: string): void {
  let expected = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] !== 1 && t.stride[i] !== expected) {
      throw new Error(`${path}: tensor ${name} is not contiguous (shape [${t.shape}], stride [${t.stride}]); save it with .contiguous() in PyTorch`);
    }
    expected *= t.shape[i];
  }
}

/**
 * Load a PyTorch state_dict file (e.g. guided-diffusion's released `.pt` checkpoints) as records in
 * PyTorch's own layout. Files may exceed 2 GB: tensors are read one by one at their offsets.
 */
export function loadTorchCheckpoint(path: string): StateDict {
  if (endianness() !== "LE") throw new Error("loadTorchCheckpoint needs a little-endian machine");
  const zip = new ZipReader(path);
  try {
    const pklEntry = zip.findSuffix("data.pkl");
    if (!pklEntry) throw new Error(`${path}: no data.pkl entry; this is a zip but not a torch.save file`);
    const order = zip.findSuffix("byteorder");
    if (order && zip.read(order).toString("utf8").trim() !== "little") throw new Error(`${path}: big-endian checkpoints are not supported`);
    const top = unpickleStateDict(zip.read(pklEntry), path);
    const out: StateDict = new Map();
    for (const [key, value] of top) {
      const name = String(key);
      if (!isTensorRef(value)) {
        throw new Error(`${path}: entry ${name} is not a tensor; expected a plain state_dict (keys: ${[...top.keys()].slice(0, 5).join(", ")}...)`);
      }
      out.set(name, readTensor(zip, name, value, path));
    }
    return out;
  } finally {
    zip.close();
  }
}

function readTensor(zip: ZipReader, name: string, t: TensorRef, path: string): TensorRecord {
  checkContiguous(name, t, path);
  const { dtype, key } = t.storage;
  const n = shapeSize(t.shape);
  if (t.offset + n > t.storage.numel) throw new Error(`${path}: tensor ${name} runs past its storage (${t.offset} + ${n} > ${t.storage.numel})`);
  const entry = zip.findSuffix(`data/${key}`);
  if (!entry) throw new Error(`${path}: storage data/${key} of tensor ${name} is missing`);
  const bytes = DTYPE_BYTES[dtype];
  const data = allocData(dtype, n);
  const view = new Uint8Array(data.buffer, data.byteOffset, n * bytes);
  if (entry.method === 0) zip.readStored(entry, t.offset * bytes, view);
  else view.set(zip.read(entry).subarray(t.offset * bytes, (t.offset + n) * bytes));
  const record: TensorRecord = { dtype, shape: t.shape.slice(), data };
  return dtype === "float16" || dtype === "bfloat16" ? { dtype: "float32", shape: record.shape, data: toFloat32(record) } : record;
}
