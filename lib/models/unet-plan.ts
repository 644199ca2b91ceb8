/**
 * The architecture of UNetModel / EncoderUNetModel as data: which layer sits at which state_dict name
 * with which channel counts. Mirrors guided-diffusion's constructor loops exactly, so names and shapes
 * match its checkpoints. Shared by the models, parameter counting and checkpoint checking.
 */
import { AttentionBlockConfig, ResBlockConfig } from "../nn/index";
import { Block } from "./layers";
import { ResolvedUNetConfig } from "./config";

export interface EncoderPlan {
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

export interface UNetPlan extends EncoderPlan {
  outputBlocks: Block[];
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

/** Encoder half: input blocks and middle block (guided-diffusion's first two constructor loops). */
export function planEncoder(c: ArchConfig): EncoderPlan {
  let ch = Math.trunc(c.channelMult[0] * c.modelChannels);
  const inputBlocks: Block[] = [[{ kind: "conv", name: "input_blocks.0.0", inChannels: c.inChannels, outChannels: ch }]];
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
  return { inputBlocks, middleBlock, channels: ch, inputBlockChannels, ds, featureSize };
}

/** Full UNet: the encoder plus output blocks, each taking `cat([h, skip])`. */
export function planUNet(c: ArchConfig): UNetPlan {
  const enc = planEncoder(c);
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
  return { ...enc, outputBlocks };
}
