/**
 * Typed constructor arguments of guided-diffusion's UNetModel and EncoderUNetModel, camelCased, with
 * the same defaults. `attentionResolutions` holds downsample RATES (ds), as in those constructors;
 * script flags give resolutions and are converted by ./flags.
 */

export interface UNetConfig {
  imageSize: number;
  inChannels: number;
  modelChannels: number;
  outChannels: number;
  numResBlocks: number;
  /** downsample rates (1, 2, 4, ...) at which attention blocks are inserted */
  attentionResolutions: number[];
  dropout?: number;
  /** per-level channel multipliers; fractional values allowed (the 512 model uses 0.5) */
  channelMult?: number[];
  /** learned 3x3 conv for up/down-sampling (else nearest / avg-pool); unused with resblockUpdown */
  convResample?: boolean;
  /** class-conditional with this many classes (label_emb), or null */
  numClasses?: number | null;
  /** accepted for compatibility; ignored (no gradient checkpointing here) */
  useCheckpoint?: boolean;
  /** accepted for compatibility; ignored (we compute in float32) */
  useFp16?: boolean;
  numHeads?: number;
  /** channels per attention head; overrides numHeads unless -1 */
  numHeadChannels?: number;
  /** heads in the decoder's attention; -1 means numHeads */
  numHeadsUpsample?: number;
  /** AdaGN: GN(h) * (1 + scale) + shift */
  useScaleShiftNorm?: boolean;
  /** BigGAN residual blocks for up/down-sampling */
  resblockUpdown?: boolean;
  /** QKVAttention (split q/k/v before heads) instead of QKVAttentionLegacy */
  useNewAttentionOrder?: boolean;
}

/** How EncoderUNetModel turns the middle features into logits. */
export const POOL_KINDS = ["adaptive", "attention", "spatial", "spatial_v2"] as const;
export type PoolKind = (typeof POOL_KINDS)[number];

export interface EncoderUNetConfig extends Omit<UNetConfig, "numClasses"> {
  pool?: PoolKind;
}

export type ResolvedUNetConfig = Required<Omit<UNetConfig, "numClasses">> & { numClasses: number | null };
export type ResolvedEncoderConfig = Required<EncoderUNetConfig>;

function check(cond: boolean, msg: string): void {
  if (!cond) throw new RangeError(msg);
}

const BOOLEAN_KEYS = ["convResample", "useCheckpoint", "useFp16", "useScaleShiftNorm", "resblockUpdown", "useNewAttentionOrder"] as const;

function resolveCommon<T extends Omit<UNetConfig, "numClasses">>(c: T, what: string) {
  check(c !== null && typeof c === "object", `${what}: the configuration must be an object, got ${c}`);
  for (const key of ["imageSize", "inChannels", "modelChannels", "outChannels"] as const) {
    const v = c[key];
    check(Number.isSafeInteger(v) && v > 0, `${what}: ${key} must be a positive integer, got ${v}`);
  }
  check(Number.isSafeInteger(c.numResBlocks) && c.numResBlocks >= 0, `${what}: numResBlocks must be a non-negative integer, got ${c.numResBlocks}`);
  check(Array.isArray(c.attentionResolutions) && c.attentionResolutions.every((r) => Number.isSafeInteger(r) && r > 0),
    `${what}: attentionResolutions must be an array of downsample rates (positive integers), got ${JSON.stringify(c.attentionResolutions)}`);
  const channelMult = c.channelMult ?? [1, 2, 4, 8];
  check(Array.isArray(channelMult) && channelMult.length > 0 && channelMult.every((m) => typeof m === "number" && Number.isFinite(m) && m > 0),
    `${what}: channelMult must be a non-empty list of positive numbers, got ${JSON.stringify(channelMult)}`);
  check(c.dropout === undefined || (typeof c.dropout === "number" && c.dropout >= 0 && c.dropout < 1), `${what}: dropout must be in [0, 1), got ${c.dropout}`);
  check(c.numHeads === undefined || (Number.isSafeInteger(c.numHeads) && c.numHeads > 0), `${what}: numHeads must be a positive integer, got ${c.numHeads}`);
  for (const key of ["numHeadChannels", "numHeadsUpsample"] as const) {
    const v = c[key];
    check(v === undefined || v === -1 || (Number.isSafeInteger(v) && v > 0), `${what}: ${key} must be a positive integer or -1, got ${v}`);
  }
  for (const key of BOOLEAN_KEYS) check(c[key] === undefined || typeof c[key] === "boolean", `${what}: ${key} must be true or false, got ${JSON.stringify(c[key])}`);
  const numHeads = c.numHeads ?? 1;
  const numHeadsUpsample = c.numHeadsUpsample ?? -1;
  return {
    imageSize: c.imageSize,
    inChannels: c.inChannels,
    modelChannels: c.modelChannels,
    outChannels: c.outChannels,
    numResBlocks: c.numResBlocks,
    attentionResolutions: c.attentionResolutions.slice(),
    dropout: c.dropout ?? 0,
    channelMult: channelMult.slice(),
    convResample: c.convResample ?? true,
    useCheckpoint: c.useCheckpoint ?? false,
    useFp16: c.useFp16 ?? false,
    numHeads,
    numHeadChannels: c.numHeadChannels ?? -1,
    numHeadsUpsample: numHeadsUpsample === -1 ? numHeads : numHeadsUpsample,
    useScaleShiftNorm: c.useScaleShiftNorm ?? false,
    resblockUpdown: c.resblockUpdown ?? false,
    useNewAttentionOrder: c.useNewAttentionOrder ?? false,
  };
}

/** Fill in UNetModel's defaults and check the values. */
export function resolveUNetConfig(c: UNetConfig): ResolvedUNetConfig {
  const numClasses = c.numClasses ?? null;
  check(numClasses === null || (Number.isInteger(numClasses) && numClasses > 0), `UNetConfig: numClasses must be a positive integer or null, got ${numClasses}`);
  return { ...resolveCommon(c, "UNetConfig"), numClasses };
}

/** Fill in EncoderUNetModel's defaults (pool "adaptive") and check the values. */
export function resolveEncoderConfig(c: EncoderUNetConfig): ResolvedEncoderConfig {
  const pool = c.pool ?? "adaptive";
  check(POOL_KINDS.includes(pool), `EncoderUNetConfig: pool must be one of ${POOL_KINDS.join(", ")}, got ${pool}`);
  const r = { ...resolveCommon(c, "EncoderUNetConfig"), pool };
  check(pool !== "attention" || r.numHeadChannels !== -1, "EncoderUNetConfig: pool \"attention\" needs numHeadChannels (num_head_channels), not -1");
  return r;
}
