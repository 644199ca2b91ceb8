/**
 * Multi-head QKV attention over tokens `[N, T, 3*H*ch]` -> `[N, T, H*ch]`, in guided-diffusion's two
 * channel orders. In PyTorch's `[N, 3*H*ch, T]` the channel index is
 * - legacy (QKVAttentionLegacy, split heads first): `head*3*ch + {q,k,v}*ch + i`
 * - new (QKVAttention, split q/k/v first):          `{q,k,v}*H*ch + head*ch + i`
 * Output channels are `head*ch + i` in both. q and k are each scaled by ch^(-1/4) before the product
 * (more stable than dividing afterwards); softmax runs over keys in float32.
 */
import * as tf from "@tensorflow/tfjs";

export type AttentionOrder = "legacy" | "new";

/** Split `[N, T, H*ch]` into heads `[N, H, T, ch]`. */
function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  const [n, t, c] = x.shape;
  return x.reshape([n, t, heads, c / heads]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
}

/** q, k and v of every head, each `[N, H, T, ch]`, read from `[N, T, 3*H*ch]` in either channel order. */
export function splitQkv(qkv: tf.Tensor3D, heads: number, order: AttentionOrder): { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } {
  const width = qkv.shape[2];
  if (width % (3 * heads) !== 0) throw new Error(`qkv width ${width} is not divisible by 3 x ${heads} heads`);
  return tf.tidy(() => {
    const [q, k, v] =
      order === "legacy" ? (tf.split(splitHeads(qkv, heads), 3, 3) as tf.Tensor4D[]) : tf.split(qkv, 3, 2).map((part) => splitHeads(part, heads));
    return { q, k, v };
  });
}

/**
 * softmax over keys of (q ch^-1/4)(k ch^-1/4)^T, `[N, H, T, T]`: row i of a head is where query
 * position i looks, a distribution over the T key positions.
 */
export function attentionWeights(q: tf.Tensor4D, k: tf.Tensor4D): tf.Tensor4D {
  const scale = 1 / Math.sqrt(Math.sqrt(q.shape[3]));
  return tf.tidy(() => tf.softmax(tf.matMul(tf.mul(q, scale), tf.mul(k, scale), false, true)) as tf.Tensor4D);
}

export function qkvAttention(qkv: tf.Tensor3D, heads: number, order: AttentionOrder): tf.Tensor3D {
  const [n, t] = qkv.shape;
  return tf.tidy(() => {
    const { q, k, v } = splitQkv(qkv, heads, order);
    const a = tf.matMul(attentionWeights(q, k), v);
    return a.transpose([0, 2, 1, 3]).reshape([n, t, -1]) as tf.Tensor3D;
  });
}

/** Heads of an attention layer: `channels / numHeadChannels` when that is not -1, else `numHeads`. */
export function attentionHeads(name: string, channels: number, numHeads: number, numHeadChannels: number): number {
  if (numHeadChannels === -1) {
    if (channels % numHeads !== 0) throw new Error(`${name}: ${channels} channels are not divisible by num_heads ${numHeads}`);
    return numHeads;
  }
  if (channels % numHeadChannels !== 0) {
    throw new Error(`${name}: ${channels} channels are not divisible by num_head_channels ${numHeadChannels}`);
  }
  return channels / numHeadChannels;
}
