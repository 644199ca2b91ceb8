import { initBackend } from "../../lib/backend";
import {
  RELEASED_CLASSIFIERS, TABLE_11_MODELS, classifierConfigFromFlags, countClassifierParameters, countParameters,
  createModelAndFlags, parseFlags, unetConfigFromFlags,
} from "../../lib/models";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("guided-diffusion flags", () => {
  test("Table 11 parameter counts, from shapes alone", () => {
    expect(countParameters(TABLE_11_MODELS.lsun256)).toBe(552_814_086);
    expect(countParameters(TABLE_11_MODELS.imagenet64)).toBe(295_904_454);
    expect(countParameters(TABLE_11_MODELS.imagenet128)).toBe(421_529_606);
    expect(countParameters(TABLE_11_MODELS.imagenet256)).toBe(553_838_086);
    expect(countParameters(TABLE_11_MODELS.imagenet512)).toBe(558_997_638);
  });

  test("released classifier parameter counts", () => {
    expect(countClassifierParameters(RELEASED_CLASSIFIERS.imagenet64)).toBe(65_438_568);
    expect(countClassifierParameters(RELEASED_CLASSIFIERS.imagenet128)).toBe(42_568_040);
    expect(countClassifierParameters(RELEASED_CLASSIFIERS.imagenet256)).toBe(54_096_360);
    expect(countClassifierParameters(RELEASED_CLASSIFIERS.imagenet512)).toBe(54_448_360);
  });

  test("a README string becomes create_model's arguments", () => {
    const c = unetConfigFromFlags(TABLE_11_MODELS.imagenet64);
    expect(c).toMatchObject({
      imageSize: 64, modelChannels: 192, outChannels: 6, numResBlocks: 3, attentionResolutions: [2, 4, 8],
      channelMult: [1, 2, 3, 4], numClasses: 1000, numHeadChannels: 64, numHeads: 4, dropout: 0.1,
      useScaleShiftNorm: true, resblockUpdown: true, useNewAttentionOrder: true, useFp16: true,
    });
    expect(unetConfigFromFlags(TABLE_11_MODELS.imagenet512).channelMult).toEqual([0.5, 1, 1, 2, 2, 4, 4]);
  });

  test("an object of snake_case names with script_util's defaults", () => {
    const c = unetConfigFromFlags({ image_size: 32, num_channels: 64, channel_mult: "1,2,2", attention_resolutions: [16], learn_sigma: false });
    expect(c).toMatchObject({ imageSize: 32, modelChannels: 64, channelMult: [1, 2, 2], attentionResolutions: [2], outChannels: 3, numResBlocks: 2, numHeads: 4, useScaleShiftNorm: true, numClasses: null });
  });

  test("diffusion flags are accepted and handed back; sampling flags are accepted", () => {
    const { model, config, diffusion } = createModelAndFlags(
      "--image_size 32 --channel_mult 1,2 --num_channels 32 --num_res_blocks 1 --attention_resolutions 16 --diffusion_steps 4000 --noise_schedule cosine --learn_sigma True --use_ddim True --timestep_respacing ddim25",
    );
    expect(config.outChannels).toBe(6);
    expect(diffusion).toEqual({
      learn_sigma: true, diffusion_steps: 4000, noise_schedule: "cosine", timestep_respacing: "ddim25",
      use_kl: false, predict_xstart: false, rescale_timesteps: false, rescale_learned_sigmas: false,
    });
    model.dispose();
  });

  test("unknown flags, bad values and unsupported sizes are named", () => {
    expect(() => parseFlags("--image_size 64 --num_chanels 128")).toThrow(/unknown flag --num_chanels/);
    expect(() => parseFlags({ attention_res: "16" })).toThrow(/unknown flag --attention_res.*did you mean.*--attention_resolutions/);
    expect(() => parseFlags("--class_cond maybe")).toThrow(/--class_cond: expected a boolean/);
    expect(() => parseFlags("--num_res_blocks 2.5")).toThrow(/--num_res_blocks: expected an integer/);
    expect(() => unetConfigFromFlags("--image_size 48")).toThrow(/--image_size 48 has no default channel_mult/);
  });

  test("classifier flags follow create_classifier", () => {
    expect(classifierConfigFromFlags(RELEASED_CLASSIFIERS.imagenet64)).toMatchObject({
      imageSize: 64, modelChannels: 128, outChannels: 1000, numResBlocks: 4, attentionResolutions: [2, 4, 8],
      channelMult: [1, 2, 3, 4], numHeadChannels: 64, useScaleShiftNorm: true, resblockUpdown: true, pool: "attention",
    });
  });
});
