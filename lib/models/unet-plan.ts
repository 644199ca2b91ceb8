/**
 * The architecture of UNetModel / EncoderUNetModel as data: which layer sits at which state_dict name
 * with which channel counts, from the timestep embedding to the head. Mirrors guided-diffusion's
 * constructors exactly, so names and shapes match its checkpoints. Shared by both executors (./walk),
 * parameter counting and checkpoint checking.
 */
import { AttentionBlockConfig, ResBlockConfig } from "../nn/index";
import type { Block, Layer } from "./layers";
import { PoolKind, ResolvedEncoderConfig, ResolvedUNetConfig } from "./config";

/** What UNetModel and EncoderUNetModel share: the embedding, the encoder half and the middle block. */
export interface TrunkPlan {
  /** t -> emb: sinusoidal embedding, then time_embed.0, SiLU, time_embed.2 */
  timeEmbed: Block;
  inputBlocks: Block[];
  middleBlock: Block;
  /** channels after the middle block */
  channels: number;
  /** channels of each input block's output (the skip connections) */
  inputBlockChannels: number[];
  /** total downsampling factor at the bottom */
  ds: number;
  /** sum of input-block and middle-block channels (the "spatial" pools' feature size) */
  featureSize: number;
}

export interface EncoderPlan extends TrunkPlan {
  /** spatial pools read the spatial means of every block instead of the last feature map */
  pool: PoolKind;
  /** the pooling head, EncoderUNetModel.out */
  out: Block;
}

export interface UNetPlan extends TrunkPlan {
  /** label_emb, added to the timestep embedding, when class-conditional */
  labelEmb: Layer | null;
  outputBlocks: Block[];
  /** GN -> SiLU -> zero-initialised conv, UNetModel.out */
  out: Block;
}

type ArchConfig = Omit<ResolvedUNetConfig, "numClasses" | "outChannels">;

function resCfg(c: ArchConfig, channels: number, outChannels: number, extra: Partial<ResBlockConfig> = {}): ResBlockConfig {
  return {
    channels, outChannels, embChannels: 4 * c.modelChannels, dropout: c.dropout,
    useScaleShiftNorm: c.useScaleShiftNorm, up: false, down: false, ...extra,
  };
}

function attnCfg(c: ArchConfig, channels: number, numHeads: number): AttentionBlockConfig {
  return { channels, numHeads, numHeadChannels: c.numHeadChannels, order: c.useNewAttentionOrder ? "new" : "legacy" };
}

function timeEmbed(modelChannels: number): Block {
  const d = 4 * modelChannels;
  return [
    { kind: "timestepEmbedding", dim: modelChannels },
    { kind: "linear", name: "time_embed.0", inFeatures: modelChannels, outFeatures: d },
    { kind: "silu" },
    { kind: "linear", name: "time_embed.2", inFeatures: d, outFeatures: d },
  ];
}

/** Embedding, input blocks and middle block (guided-diffusion's first two constructor loops). */
export function planTrunk(c: ArchConfig): TrunkPlan {
  let ch = Math.trunc(c.channelMult[0] * c.modelChannels);
  const inputBlocks: Block[] = [[{ kind: "conv", name: "input_blocks.0.0", inChannels: c.inChannels, outChannels: ch, kernel: 3, zero: false }]];
  const inputBlockChannels = [ch];
  let featureSize = ch;
  let ds = 1;
  c.channelMult.forEach((mult, level) => {
    for (let r = 0; r < c.numResBlocks; r++) {
      const prefix = `input_blocks.${inputBlocks.length}`;
      const out = Math.trunc(mult * c.modelChannels);
      const block: Block = [{ kind: "resblock", name: `${prefix}.0`, cfg: resCfg(c, ch, out) }];
      ch = out;
      if (c.attentionResolutions.includes(ds)) block.push({ kind: "attention", name: `${prefix}.1`, cfg: attnCfg(c, ch, c.numHeads) });
      inputBlocks.push(block);
      inputBlockChannels.push(ch);
      featureSize += ch;
    }
    if (level !== c.channelMult.length - 1) {
      const name = `input_blocks.${inputBlocks.length}.0`;
      inputBlocks.push([
        c.resblockUpdown
          ? { kind: "resblock", name, cfg: resCfg(c, ch, ch, { down: true }) }
          : { kind: "downsample", name, cfg: { channels: ch, useConv: c.convResample } },
      ]);
      inputBlockChannels.push(ch);
      ds *= 2;
      featureSize += ch;
    }
  });
  const middleBlock: Block = [
    { kind: "resblock", name: "middle_block.0", cfg: resCfg(c, ch, ch) },
    { kind: "attention", name: "middle_block.1", cfg: attnCfg(c, ch, c.numHeads) },
    { kind: "resblock", name: "middle_block.2", cfg: resCfg(c, ch, ch) },
  ];
  featureSize += ch;
  return { timeEmbed: timeEmbed(c.modelChannels), inputBlocks, middleBlock, channels: ch, inputBlockChannels, ds, featureSize };
}

/** The classifier head of each pool kind, with the names of EncoderUNetModel.out. */
function poolHead(c: ResolvedEncoderConfig, trunk: TrunkPlan): Block {
  const ch = trunk.channels;
  switch (c.pool) {
    case "adaptive":
      return [
        { kind: "norm", name: "out.0", channels: ch }, { kind: "silu" }, { kind: "spatialMean", keepDims: true },
        { kind: "conv", name: "out.3", inChannels: ch, outChannels: c.outChannels, kernel: 1, zero: true }, { kind: "flatten" },
      ];
    case "attention": {
      const cfg = { spatialDim: Math.floor(c.imageSize / trunk.ds), channels: ch, numHeadChannels: c.numHeadChannels, outChannels: c.outChannels };
      return [{ kind: "norm", name: "out.0", channels: ch }, { kind: "silu" }, { kind: "attentionPool", name: "out.2", cfg }];
    }
    case "spatial":
      return [
        { kind: "linear", name: "out.0", inFeatures: trunk.featureSize, outFeatures: 2048 }, { kind: "relu" },
        { kind: "linear", name: "out.2", inFeatures: 2048, outFeatures: c.outChannels },
      ];
    case "spatial_v2":
      return [
        { kind: "linear", name: "out.0", inFeatures: trunk.featureSize, outFeatures: 2048 }, { kind: "norm", name: "out.1", channels: 2048 },
        { kind: "silu" }, { kind: "linear", name: "out.3", inFeatures: 2048, outFeatures: c.outChannels },
      ];
  }
}

/** EncoderUNetModel: the trunk and the pool's head. */
export function planEncoder(c: ResolvedEncoderConfig): EncoderPlan {
  const trunk = planTrunk(c);
  return { ...trunk, pool: c.pool, out: poolHead(c, trunk) };
}

/** Full UNet: the trunk, label embedding, output blocks each taking `cat([h, skip])`, and the head. */
export function planUNet(c: ResolvedUNetConfig): UNetPlan {
  const enc = planTrunk(c);
  const skips = enc.inputBlockChannels.slice();
  const outputBlocks: Block[] = [];
  let ch = enc.channels;
  let ds = enc.ds;
  for (let level = c.channelMult.length - 1; level >= 0; level--) {
    const out = Math.trunc(c.modelChannels * c.channelMult[level]);
    for (let i = 0; i <= c.numResBlocks; i++) {
      const prefix = `output_blocks.${outputBlocks.length}`;
      const skip = skips.pop() as number;
      const block: Block = [{ kind: "resblock", name: `${prefix}.0`, cfg: resCfg(c, ch + skip, out) }];
      ch = out;
      if (c.attentionResolutions.includes(ds)) block.push({ kind: "attention", name: `${prefix}.1`, cfg: attnCfg(c, ch, c.numHeadsUpsample) });
      if (level > 0 && i === c.numResBlocks) {
        const name = `${prefix}.${block.length}`;
        block.push(
          c.resblockUpdown
            ? { kind: "resblock", name, cfg: resCfg(c, ch, ch, { up: true }) }
            : { kind: "upsample", name, cfg: { channels: ch, useConv: c.convResample } },
        );
        ds /= 2;
      }
      outputBlocks.push(block);
    }
  }
  // the decoder ends at the first level's width, int(channel_mult[0] * model_channels)
  const outCh = Math.trunc(c.modelChannels * c.channelMult[0]);
  const out: Block = [
    { kind: "norm", name: "out.0", channels: outCh }, { kind: "silu" },
    { kind: "conv", name: "out.2", inChannels: outCh, outChannels: c.outChannels, kernel: 3, zero: true },
  ];
  const labelEmb: Layer | null = c.numClasses === null ? null : { kind: "embedding", name: "label_emb", num: c.numClasses, dim: 4 * c.modelChannels };
  return { ...enc, labelEmb, outputBlocks, out };
}
