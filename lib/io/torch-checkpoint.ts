/**
 * Read a `torch.save` file (the zip format of PyTorch >= 1.6) holding a state_dict, without Python and
 * without executing anything: `<any>/data.pkl` is interpreted by a restricted unpickler that accepts
 * only OrderedDict, tensor rebuilding and storage types, and each tensor's bytes are read from its
 * `<any>/data/<key>` entry at the tensor's storage offset. Half and bfloat16 are upcast to float32.
 * `openTorchCheckpoint` reads the pickle and then one tensor at a time, on demand;
 * `loadTorchCheckpoint` reads them all.
 */
import { endianness } from "os";
import { REDOWNLOAD, describe, isCount, refuse } from "./errors";
import { DecodeBudget, LoadLimits, decodeBudget } from "./limits";
import { unpickle, PickleGlobal } from "./pickle";
import { DType, DTYPE_BYTES, StateDict, TensorRecord, allocFor, checkShape, shapeSize, toFloat32 } from "./tensor-record";
import { ZipEntry, ZipReader } from "./zip-reader";

const STORAGE_DTYPES: Record<string, DType> = {
  "torch.FloatStorage": "float32",
  "torch.HalfStorage": "float16",
  "torch.BFloat16Storage": "bfloat16",
  "torch.DoubleStorage": "float64",
  "torch.LongStorage": "int64",
  "torch.IntStorage": "int32",
};

const ALLOWED = new Set(["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", ...Object.keys(STORAGE_DTYPES)]);

const NOT_STATE_DICT = "save a plain state_dict (torch.save(model.state_dict(), path)), or convert it to safetensors";

interface StorageRef {
  kind: "storage";
  dtype: DType;
  key: string;
  numel: number;
}
interface TensorRef {
  kind: "tensor";
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === "object" && v !== null && (v as TensorRef).kind === "tensor";
}

function unpickleStateDict(pkl: Uint8Array, path: string, member: string): Map<string, TensorRef> {
  function bad(what: string, fix = REDOWNLOAD): never {
    refuse(path, member, what, fix);
  }
  const obj = unpickle(pkl, {
    source: path,
    member,
    allowedGlobals: ALLOWED,
    // ('storage', StorageClass, key, location, numel): flat, every field typed; anything else
    // (another storage, a list that contains itself) is refused before it is looked at further
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== "storage")
        bad(`unsupported persistent id ${describe(pid)}; torch.save writes ('storage', type, key, location, numel)`, NOT_STATE_DICT);
      const [, cls, key, location, numel] = pid as unknown[];
      const g = cls as PickleGlobal;
      const dtype = g && typeof g === "object" && g.kind === "global" ? STORAGE_DTYPES[`${g.module}.${g.name}`] : undefined;
      if (!dtype) bad(`storage of unsupported type ${describe(cls)}`, NOT_STATE_DICT);
      if (typeof key !== "string" || !/^\w{1,64}$/.test(key)) bad(`storage key ${describe(key)} is not a plain name`);
      if (typeof location !== "string") bad(`storage location ${describe(location)} is not a device name`);
      if (!isCount(numel)) bad(`storage ${key} has ${describe(numel)} elements`);
      return { kind: "storage", dtype, key, numel } as StorageRef;
    },
    reduce(fn, args) {
      const full = `${fn.module}.${fn.name}`;
      if (full === "collections.OrderedDict") {
        if (args.length === 0) return new Map();
        const pairs = args[0];
        if (args.length !== 1 || !Array.isArray(pairs) || !pairs.every((kv) => Array.isArray(kv) && kv.length === 2))
          bad(`OrderedDict called with ${describe(args)}, not a list of (key, value) pairs`);
        return new Map(pairs as [unknown, unknown][]);
      }
      if (full === "torch._utils._rebuild_parameter") {
        if (!isTensorRef(args[0])) bad(`_rebuild_parameter of ${describe(args[0])}, not a tensor`);
        return args[0];
      }
      if (full === "torch._utils._rebuild_tensor_v2") {
        const [storage, offset, size, stride] = args;
        const at = "_rebuild_tensor_v2";
        if (args.length < 4 || !storage || (storage as StorageRef).kind !== "storage") bad(`${at} of ${describe(args)}: no storage`);
        if (!isCount(offset)) bad(`${at}: storage offset ${describe(offset)} is not a non-negative integer`);
        const shape = checkShape(size, path, `${member} ${at} size`);
        if (!Array.isArray(stride) || stride.length !== shape.length || !stride.every(isCount))
          bad(`${at}: stride ${describe(stride)} does not fit size [${shape}]`);
        return { kind: "tensor", storage, offset, shape, stride: (stride as number[]).slice() } as TensorRef;
      }
      return bad(`${full} cannot be called`, NOT_STATE_DICT);
    },
  });
  if (!(obj instanceof Map)) bad(`the pickle holds ${describe(obj)}, not a state_dict (a dict of tensors)`, NOT_STATE_DICT);
  const keys = [...obj.keys()];
  for (const [key, value] of obj) {
    if (typeof key !== "string") bad(`the state_dict has the key ${describe(key)}, not a string`, NOT_STATE_DICT);
    if (!isTensorRef(value))
      bad(
        `entry ${key} is ${describe(value)}, not a tensor; expected a plain state_dict (keys: ${keys
          .slice(0, 5)
          .map((k) => describe(k))
          .join(", ")}...)`,
        NOT_STATE_DICT,
      );
  }
  return obj as Map<string, TensorRef>;
}

function checkContiguous(name: string, t: TensorRef, path: string): void {
  let expected = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] !== 1 && t.stride[i] !== expected) {
      refuse(path, `tensor ${name}`, `tensor ${name} is not contiguous (shape [${t.shape}], stride [${t.stride}])`, "save it with .contiguous() in PyTorch");
    }
    expected *= t.shape[i];
  }
}

/** A tensor of an open checkpoint: its name, dtype (as read: half is upcast) and shape, nothing read yet. */
export interface TensorInfo {
  dtype: DType;
  shape: number[];
}

/**
 * An open `.pt` file: its tensors' names, dtypes and shapes from the pickle, and `read` to load one
 * tensor at a time from its offset. Memory holds only what the caller keeps of what it reads, so a
 * checkpoint larger than the memory left can be streamed into another form (an ONNX graph).
 */
export interface TorchCheckpointReader {
  readonly path: string;
  /** in the file's order */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** read one tensor (float16 and bfloat16 upcast to float32); counts against the load's budget */
  read(name: string): TensorRecord;
  /**
   * The tensors as a StateDict whose records read their data from the file when `data` is used,
   * every time (nothing is cached): for consumers that touch each tensor once, such as
   * `unetFromStateDict`. Valid until `close`.
   */
  lazyStateDict(): StateDict;
  close(): void;
}

/**
 * Open a PyTorch state_dict file (e.g. guided-diffusion's released `.pt` checkpoints) and read its
 * pickle, not its tensors. Files may exceed 2 GB. Every storage is checked against the bytes its zip
 * member holds before anything is allocated, and all tensors read together may decode to at most the
 * load's budget (see limits.ts). Throws AdmInputError, naming the file and the tensor or pickle
 * byte, for anything it will not read. Call `close` when done.
 */
export function openTorchCheckpoint(path: string, limits?: LoadLimits): TorchCheckpointReader {
  if (endianness() !== "LE") throw new Error("openTorchCheckpoint needs a little-endian machine");
  const zip = new ZipReader(path);
  const tensors = new Map<string, TensorInfo>();
  const entries = new Map<string, ZipEntry>();
  let top: Map<string, TensorRef>;
  let budget: DecodeBudget;
  try {
    budget = decodeBudget(path, zip.size, limits);
    const pklEntry = zip.findSuffix("data.pkl");
    if (!pklEntry) refuse(path, "data.pkl", "no data.pkl entry; this is a zip but not a torch.save file", "give a file written by torch.save");
    const prefix = pklEntry.name.slice(0, -"data.pkl".length);
    const order = zip.entries.get(`${prefix}byteorder`);
    if (order) {
      if (order.size > 16) refuse(path, order.name, `a ${order.size}-byte byteorder record`, REDOWNLOAD);
      const text = zip.read(order, budget).toString("utf8").trim();
      if (text !== "little")
        refuse(path, order.name, `byte order ${describe(text)}; big-endian checkpoints are not supported`, "save the checkpoint on a little-endian machine");
    }
    const pkl = zip.read(pklEntry, budget);
    budget.take(pkl.length, pklEntry.name);
    top = unpickleStateDict(pkl, path, pklEntry.name);
    for (const [name, t] of top) {
      entries.set(name, checkTensor(zip, prefix, name, t, path));
      const half = t.storage.dtype === "float16" || t.storage.dtype === "bfloat16";
      tensors.set(name, { dtype: half ? "float32" : t.storage.dtype, shape: t.shape.slice() });
    }
  } catch (e) {
    zip.close();
    throw e;
  }
  let closed = false;
  const read = (name: string): TensorRecord => {
    if (closed) throw new Error(`${path}: the checkpoint was closed; open it again to read ${name}`);
    const ref = top.get(name);
    if (!ref) throw new Error(`${path}: no tensor ${name} in this checkpoint`);
    return readTensor(zip, entries.get(name)!, name, ref, path, budget);
  };
  return {
    path,
    tensors,
    read,
    lazyStateDict() {
      const dict: StateDict = new Map();
      for (const [name, info] of tensors) {
        dict.set(name, {
          dtype: info.dtype,
          shape: info.shape,
          get data() {
            return read(name).data;
          },
        } as TensorRecord);
      }
      return dict;
    },
    close() {
      if (!closed) zip.close();
      closed = true;
    },
  };
}

/**
 * Load a whole PyTorch state_dict file as records in PyTorch's own layout: `openTorchCheckpoint`,
 * every tensor read, closed. The same checks and budget.
 */
export function loadTorchCheckpoint(path: string, limits?: LoadLimits): StateDict {
  const reader = openTorchCheckpoint(path, limits);
  try {
    const out: StateDict = new Map();
    for (const name of reader.tensors.keys()) out.set(name, reader.read(name));
    return out;
  } finally {
    reader.close();
  }
}

/** The checks a tensor's record must pass before anything is read: contiguous, inside its storage, the storage inside its member. */
function checkTensor(zip: ZipReader, prefix: string, name: string, t: TensorRef, path: string): ZipEntry {
  checkContiguous(name, t, path);
  const at = `tensor ${name}`;
  const { dtype, key, numel } = t.storage;
  const n = shapeSize(t.shape);
  if (t.offset + n > numel) refuse(path, at, `tensor ${name} runs past its storage (${t.offset} + ${n} > ${numel})`, REDOWNLOAD);
  const entry = zip.entries.get(`${prefix}data/${key}`);
  if (!entry) refuse(path, at, `storage ${prefix}data/${key} of tensor ${name} is missing`, REDOWNLOAD);
  const bytes = DTYPE_BYTES[dtype];
  if (numel * bytes > entry.size)
    refuse(path, at, `storage ${key} claims ${numel} ${dtype} elements (${numel * bytes} bytes) but its member holds ${entry.size} bytes`, REDOWNLOAD);
  return entry;
}

function readTensor(zip: ZipReader, entry: ZipEntry, name: string, t: TensorRef, path: string, budget: DecodeBudget): TensorRecord {
  const at = `tensor ${name}`;
  const { dtype } = t.storage;
  const n = shapeSize(t.shape);
  const bytes = DTYPE_BYTES[dtype];
  const half = dtype === "float16" || dtype === "bfloat16";
  budget.take(n * (half ? 4 : bytes), at);
  const data = allocFor(dtype, n, path, at);
  const view = new Uint8Array(data.buffer, data.byteOffset, n * bytes);
  if (entry.method === 0) zip.readStored(entry, t.offset * bytes, view);
  else view.set(zip.read(entry, budget).subarray(t.offset * bytes, (t.offset + n) * bytes));
  const record: TensorRecord = { dtype, shape: t.shape.slice(), data };
  return half ? { dtype: "float32", shape: record.shape, data: toFloat32(record) } : record;
}
