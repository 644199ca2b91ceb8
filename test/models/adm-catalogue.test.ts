import { ADM_CHECKPOINTS, ADM_CONFIGURATIONS, admCheckpointsFor, admConfiguration, classifierConfigFromFlags, parseFlags } from "../../lib/models";

// guided-diffusion's README (commit 22e0df8), "Sampling from pre-trained models": the flags after
// $MODEL_FLAGS of each classifier_sample.py command, and its SAMPLE_FLAGS
const README_SAMPLE = "--batch_size 4 --num_samples 100 --timestep_respacing 250";
const README_COMMANDS: Record<string, string> = {
  "64x64": "--classifier_scale 1.0 --classifier_path models/64x64_classifier.pt --classifier_depth 4 --model_path models/64x64_diffusion.pt",
  "128x128": "--classifier_scale 0.5 --classifier_path models/128x128_classifier.pt --model_path models/128x128_diffusion.pt",
  "256x256": "--classifier_scale 1.0 --classifier_path models/256x256_classifier.pt --model_path models/256x256_diffusion.pt",
  "256x256-uncond": "--classifier_scale 10.0 --classifier_path models/256x256_classifier.pt --model_path models/256x256_diffusion_uncond.pt",
  "512x512": "--classifier_scale 4.0 --classifier_path models/512x512_classifier.pt --model_path models/512x512_diffusion.pt",
};

// parameter counts of guided-diffusion's create_model / create_classifier with these flags, counted
// by PyTorch (shared/guided-diffusion-notes.md); the unconditional 256 model lacks label_emb (1000 x 1024)
const PYTORCH_COUNTS: Record<string, number> = {
  "64x64_diffusion": 295_904_454, "128x128_diffusion": 421_529_606, "256x256_diffusion": 553_838_086,
  "256x256_diffusion_uncond": 553_838_086 - 1000 * 1024, "512x512_diffusion": 558_997_638,
  "64x64_classifier": 65_438_568, "128x128_classifier": 42_568_040, "256x256_classifier": 54_096_360, "512x512_classifier": 54_448_360,
};

describe("the released checkpoints", () => {
  test("every README download link, with its file name", () => {
    expect(Object.keys(ADM_CHECKPOINTS).sort()).toEqual([
      "128_512_upsampler", "128x128_classifier", "128x128_diffusion", "256x256_classifier", "256x256_diffusion", "256x256_diffusion_uncond",
      "512x512_classifier", "512x512_diffusion", "64_256_upsampler", "64x64_classifier", "64x64_diffusion",
    ]);
    for (const c of Object.values(ADM_CHECKPOINTS)) {
      expect(c.url).toBe(`https://openaipublic.blob.core.windows.net/diffusion/jul-2021/${c.id}.pt`);
      expect(c.file).toBe(`${c.id}.pt`);
      expect(c.sha256).toBeNull();
    }
  });

  test("the flags build networks with PyTorch's parameter counts", () => {
    for (const [id, n] of Object.entries(PYTORCH_COUNTS)) {
      expect([id, ADM_CHECKPOINTS[id].parameters]).toEqual([id, n]);
      expect(ADM_CHECKPOINTS[id].weightBytes).toBe(4 * n);
    }
    expect(ADM_CHECKPOINTS["64_256_upsampler"].parameters).toBeNull();
  });

  test("the 64x64 classifier has depth 4, the others 2; each sees its model's resolution", () => {
    const depth = (id: string) => classifierConfigFromFlags(ADM_CHECKPOINTS[id].flags).numResBlocks;
    expect([depth("64x64_classifier"), depth("128x128_classifier"), depth("256x256_classifier"), depth("512x512_classifier")]).toEqual([4, 2, 2, 2]);
    for (const c of ADM_CONFIGURATIONS) expect(c.classifier.imageSize).toBe(c.model.imageSize);
  });
});

describe("the README's sampling setups", () => {
  test("guidance scales 1.0, 0.5, 1.0, 10.0 and 4.0, and the README's commands", () => {
    expect(ADM_CONFIGURATIONS.map((c) => [c.name, c.classifierScale, c.classCond])).toEqual([
      ["64x64", 1, true], ["128x128", 0.5, true], ["256x256", 1, true], ["256x256-uncond", 10, false], ["512x512", 4, true],
    ]);
    for (const c of ADM_CONFIGURATIONS) {
      expect(c.sampleFlags).toBe(`${README_COMMANDS[c.name]} ${README_SAMPLE}`);
      expect(c.ddimFlags).toBe(`${README_COMMANDS[c.name]} --batch_size 4 --num_samples 100 --timestep_respacing ddim25 --use_ddim True`);
      const f = parseFlags(`${c.model.flags} ${c.ddimFlags}`);
      expect([f.classifier_scale, f.use_ddim, f.timestep_respacing, f.image_size]).toEqual([c.classifierScale, true, "ddim25", c.model.imageSize]);
    }
    expect(parseFlags(ADM_CONFIGURATIONS[0].model.flags).noise_schedule).toBe("cosine");
    expect(ADM_CONFIGURATIONS.slice(1).map((c) => parseFlags(c.model.flags).noise_schedule)).toEqual(["linear", "linear", "linear", "linear"]);
  });

  test("names resolve to checkpoints, and unknown ones are refused with the list", () => {
    expect(admCheckpointsFor("64x64").map((c) => c.file)).toEqual(["64x64_diffusion.pt", "64x64_classifier.pt"]);
    expect(admCheckpointsFor("256x256-uncond").map((c) => c.id)).toEqual(["256x256_diffusion_uncond", "256x256_classifier"]);
    expect(admCheckpointsFor("64_256_upsampler.pt").map((c) => c.id)).toEqual(["64_256_upsampler"]);
    expect(admCheckpointsFor("all")).toHaveLength(11);
    expect(() => admCheckpointsFor("96x96")).toThrow(/unknown checkpoint "96x96": give a configuration \(64x64, 128x128, 256x256, 256x256-uncond, 512x512\)/);
    expect(admConfiguration("128x128").classifier.id).toBe("128x128_classifier");
    expect(() => admConfiguration("1024x1024")).toThrow(/use one of 64x64, 128x128/);
  });
});
