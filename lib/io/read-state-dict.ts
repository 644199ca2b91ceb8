/** Read a state_dict from a `.pt`/`.pth` (torch.save), `.safetensors` or `.npz` file, by extension. */
import { refuse } from "./errors";
import { LoadLimits } from "./limits";
import { loadTorchCheckpoint } from "./torch-checkpoint";
import { readNpz } from "./npz";
import { readSafetensors } from "./safetensors";
import { StateDict } from "./tensor-record";

/** Throws AdmInputError, naming the file, for an unknown extension or anything the reader refuses. */
export function readStateDict(path: string, limits?: LoadLimits): StateDict {
  if (/\.safetensors$/i.test(path)) return readSafetensors(path, limits).tensors;
  if (/\.npz$/i.test(path)) return readNpz(path, limits);
  if (/\.(pt|pth|bin|ckpt)$/i.test(path)) return loadTorchCheckpoint(path, limits);
  return refuse(path, "extension", "unknown checkpoint type", "use .pt/.pth (torch.save), .safetensors or .npz");
}
