import { initBackend } from "../../lib/backend";
import {
  RELEASED_CLASSIFIERS, TABLE_11_MODELS, classifierConfigFromFlags, countParameters,
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

  // The counts below are guided-diffusion's: sum(p.numel() for p in create_classifier(...).parameters())
  // (and create_model for the UNet), run with Debian's python3-torch.
  test("classifier flags count the classifier: the released ones", () => {
    expect(countParameters(RELEASED_CLASSIFIERS.imagenet64)).toBe(65_438_568);
    expect(countParameters(RELEASED_CLASSIFIERS.imagenet128)).toBe(42_568_040);
    expect(countParameters(RELEASED_CLASSIFIERS.imagenet256)).toBe(54_096_360);
    expect(countParameters(RELEASED_CLASSIFIERS.imagenet512)).toBe(54_448_360);
  });

  test("one classifier flag is enough to count a classifier; model flags alone count a UNet", () => {
    expect(countParameters("--classifier_pool adaptive")).toBe(40_465_768);
    expect(countParameters({ image_size: 64, classifier_width: 64, classifier_depth: 1, classifier_pool: "spatial", classifier_attention_resolutions: "16,8" })).toBe(11_716_136);
    expect(countParameters("--image_size 64 --num_channels 64 --num_res_blocks 1")).toBe(15_766_851);
    // sampling flags that merely mention the classifier do not make it one
    expect(countParameters("--image_size 64 --num_channels 64 --num_res_blocks 1 --classifier_scale 2 --classifier_path c.pt")).toBe(15_766_851);
  });

  test("flags of both networks at once are refused, naming them", () => {
    expect(() => countParameters(`${TABLE_11_MODELS.imagenet64} ${RELEASED_CLASSIFIERS.imagenet64}`)).toThrow(
      /countParameters: these flags describe a UNet \(--attention_resolutions, --class_cond, .*\) and a classifier \(--classifier_depth, .*\); call it once with the model's flags and once with the classifier's/,
    );
  });

  test("parsed flags have their real types", () => {
    const f = parseFlags("--image_size 128 --class_cond True --classifier_pool spatial --lr 3e-4");
    const size: number = f.image_size, cond: boolean = f.class_cond, pool: "adaptive" | "attention" | "spatial" | "spatial_v2" = f.classifier_pool, lr: number = f.lr;
    expect([size, cond, pool, lr]).toEqual([128, true, "spatial", 3e-4]);
    expect(parseFlags({}).attention_resolutions).toBe("16,8");
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
    expect(() => parseFlags("--classifier_pool max")).toThrow(/flag --classifier_pool: expected one of adaptive, attention, spatial, spatial_v2, got "max"/);
    expect(() => parseFlags({ lr: "fast" })).toThrow(/flag --lr: expected a number, got "fast"/);
    expect(() => unetConfigFromFlags("--image_size 48")).toThrow(/--image_size 48 has no default channel_mult/);
  });

  test("classifier flags follow create_classifier", () => {
    expect(classifierConfigFromFlags(RELEASED_CLASSIFIERS.imagenet64)).toMatchObject({
      imageSize: 64, modelChannels: 128, outChannels: 1000, numResBlocks: 4, attentionResolutions: [2, 4, 8],
      channelMult: [1, 2, 3, 4], numHeadChannels: 64, useScaleShiftNorm: true, resblockUpdown: true, pool: "attention",
    });
  });
});
