import { ADM_CHECKPOINTS, classifierConfigFromFlags, reducedClassifierConfig, reducedUNetConfig, resolveUNetConfig, unetConfigFromFlags } from "../../lib/models";

test("keeps every block of the released flags and narrows the width, heads and pixels", () => {
  const full = unetConfigFromFlags(ADM_CHECKPOINTS["64x64_diffusion"].flags);
  const r = resolveUNetConfig(reducedUNetConfig(full));
  expect(r).toMatchObject({ modelChannels: 32, imageSize: 16, numHeadChannels: 16, numResBlocks: 3, channelMult: [1, 2, 3, 4], attentionResolutions: [2, 4, 8], useNewAttentionOrder: true, resblockUpdown: true, numClasses: 1000, outChannels: 6 });
  // 512x512: channel_mult starts at 0.5, so 64 channels give a first level of 32
  const big = reducedUNetConfig(unetConfigFromFlags(ADM_CHECKPOINTS["512x512_diffusion"].flags), { imageSize: 64 });
  expect([big.modelChannels, big.imageSize, big.channelMult]).toEqual([64, 64, [0.5, 1, 1, 2, 2, 4, 4]]);
  // num_heads (the 128x128 model's legacy heads) is kept; only num_head_channels narrows
  const legacy = reducedUNetConfig(unetConfigFromFlags(ADM_CHECKPOINTS["128x128_diffusion"].flags));
  expect([legacy.numHeads, legacy.numHeadChannels]).toEqual([4, -1]);
  expect(reducedUNetConfig(unetConfigFromFlags(ADM_CHECKPOINTS["512x512_diffusion"].flags), { deepest: 1 }).imageSize).toBe(64);
  const c = reducedClassifierConfig(classifierConfigFromFlags(ADM_CHECKPOINTS["64x64_classifier"].flags));
  expect([c.modelChannels, c.numResBlocks, c.numHeadChannels, c.imageSize]).toEqual([32, 4, 16, 16]);
});

test("widths GroupNorm cannot split, and image sizes the levels cannot halve, are refused", () => {
  const full = unetConfigFromFlags(ADM_CHECKPOINTS["128x128_diffusion"].flags);
  expect(() => reducedUNetConfig(full, { width: 48 })).toThrow(/width 48 with channel_mult \[1,1,2,3,4\] gives level widths \[48,48,96,144,192\]; each must be a multiple of 32/);
  expect(() => reducedUNetConfig(full, { imageSize: 24 })).toThrow(/imageSize 24 must be a multiple of 16 \(5 levels halve it 4 times\)/);
});
