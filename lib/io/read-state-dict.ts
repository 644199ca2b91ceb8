/** Read a state_dict from a `.pt`/`.pth` (torch.save), `.safetensors` or `.npz` file, by extension. */
import { loadTorchCheckpoint } from "./torch-checkpoint";
import { readNpz } from "./npz";
import { readSafetensors } from "./safetensors";
import { StateDict } from "./tensor-record";

export function readStateDict(path: string): StateDict {
  if (/\.safetensors$/i.test(path)) return readSafetensors(path).tensors;
  if (/\.npz$/i.test(path)) return readNpz(path);
  if (/\.(pt|pth|bin|ckpt)$/i.test(path)) return loadTorchCheckpoint(path);
  throw new Error(`${path}: unknown checkpoint type; use .pt/.pth (torch.save), .safetensors or .npz`);
}
