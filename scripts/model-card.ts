/**
 * Write the model card of a trained course model: models/NAME/README.md with its configuration,
 * data, steps, wall time, loss curve (SVG), and what it does: a sample grid and the share of samples
 * the feature classifier recognises as the requested class (diffusion models), accuracy against the
 * noise level (noisy classifier), or test accuracy (feature classifier); for diffusion models also
 * the FID of --fid-n samples against the Fashion-MNIST test set beside the training set's (the floor).
 *   adm-ts model-card models/fashion-cond [--n 100] [--steps 25] [--fid-n 10000]
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync } from "fs";
import { basename, join, resolve } from "path";
import { initBackend } from "../lib/backend";
import { createGaussianDiffusion } from "../lib/diffusion/gaussian-diffusion";
import { sample, scheduleOf } from "../lib/sampling/loop";
import { ddim } from "../lib/sampling/samplers";
import { cfgModel } from "../lib/sampling/guidance";
import type { SamplingModel } from "../lib/sampling/loop";
import type { CondFn, GaussianDiffusion } from "../lib/diffusion/gaussian-diffusion";
import { chooseEngine, describeEngine, type EngineChoice } from "../lib/engine/choose";
import { guidanceOnEngine, unetOnEngine } from "../lib/course/on-engine";
import { checkGuidance, loadTrainedClassifier, loadTrainedDiffusion, type TrainedDiffusionModel } from "../lib/course/trained-model";
import { readCheckpointInfo } from "../lib/train/checkpoint";
import { prepareOutput, writeFileAtomic } from "../lib/io/write-files";
import { accuracyByTimestep, cleanAccuracy, predictClean } from "../lib/train/classifier-task";
import { fashionMnistDataset } from "../lib/train/dataset";
import { FASHION_CLASSES } from "../lib/data/fashion-mnist";
import { imageGridPng } from "../lib/viz/images";
import { lineChartSvg } from "../lib/viz/svg-chart";
import { progress } from "../lib/viz/progress";
import { balancedLabels, drawImages } from "../lib/course/sample-sets";
import { fashionSetMetrics, trainingSetMetrics } from "../lib/course/set-metrics";
import { forFlag, parseFlags, UsageError, type FlagSpec } from "./cli-args";

const FLAGS: Record<string, FlagSpec> = {
  n: { type: "integer", default: 100, min: 1, max: 1000, help: "samples drawn for the grid and the recognition check (diffusion models)" },
  "fid-n": {
    type: "integer",
    default: 10000,
    min: 0,
    max: 50000,
    help: "unguided samples for the FID against the Fashion-MNIST test set, with the FID of as many training images as the floor (diffusion models; 0: none)",
  },
  steps: { type: "integer", default: 25, min: 1, help: "DDIM steps for the samples" },
  features: { type: "string", default: "models/fashion-features", help: "the clean feature classifier used to recognise samples" },
  engine: {
    type: "string",
    choices: ["onnx", "tfjs"],
    help: "onnx (ONNX Runtime; the default when onnxruntime-node loads) or tfjs, for the samples; default ADM_ENGINE",
  },
  cfg: { type: "string", default: "2,4", help: "classifier-free guidance weights to sample with (models trained with label dropout; '' for none)" },
  classifier: { type: "string", default: "models/fashion-classifier", help: "noisy classifier for guided samples of an unconditional model" },
  scales: {
    type: "string",
    default: "1,10",
    help: "classifier guidance scales to sample with (unconditional models; '' for none); the paper's Figure 3 compares 1 and 10",
  },
};

/** Moving average over `w` points, for readable loss curves. */
function smooth(y: number[], w: number): number[] {
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    s += y[i];
    if (i >= w) s -= y[i - w];
    out.push(s / Math.min(i + 1, w));
  }
  return out;
}

/** Parse a comma-separated list of numbers given to `flag` ("" gives none). */
function numberList(flag: string, text: string): number[] {
  const out = text
    .split(",")
    .filter((v) => v.trim() !== "")
    .map(Number);
  if (out.some((v) => !Number.isFinite(v) || v < 0)) throw new UsageError(`--${flag} takes comma-separated non-negative numbers, got ${text}`);
  return out;
}

const percent = (r: number): string => `${(r * 100).toFixed(1)}%`;

/**
 * Samples of a diffusion model and what the feature classifier makes of them: the share recognised
 * as the requested class, plain and with guidance (classifier-free for a label-dropout model,
 * classifier guidance with the noisy classifier for an unconditional one), on the same seeds.
 */
async function diffusionResults(
  dir: string,
  trained: TrainedDiffusionModel,
  f: Record<string, unknown>,
  cfgWeights: number[],
  scales: number[],
  engine: EngineChoice,
): Promise<string[]> {
  const net = await unetOnEngine(trained.net, engine);
  const n = f.n as number,
    steps = f.steps as number;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  const diffusion = createGaussianDiffusion(trained.diffusion);
  forFlag("--steps", () => scheduleOf(ddim, diffusion, steps));
  const { imageSize: size, inChannels: channels } = trained.net.config;
  const featuresDir = f.features as string;
  const judge = existsSync(join(featuresDir, "model.safetensors")) ? loadTrainedClassifier(featuresDir) : undefined;
  const histogram: string[] = [];
  const rows: string[] = [];
  const draw = async (file: string, what: string, model: SamplingModel, condFn?: CondFn): Promise<tf.Tensor4D> => {
    const y = tf.tensor1d(labels, "int32");
    const t0 = Date.now();
    const x = await sample(ddim, diffusion, model, [n, size, size, channels], { steps, modelKwargs: { y }, condFn, seed: 1234 });
    const seconds = (Date.now() - t0) / 1000;
    y.dispose();
    writeFileAtomic(join(dir, file), await imageGridPng({ data: await x.data(), shape: [n, size, size, channels] }, { cols: 10, range: "signed", scale: 2 }));
    const rate = judge && (trained.classCond || condFn) ? percent(cleanAccuracy(judge.net, x, labels)) : "(no class asked)";
    rows.push(`| ${what} | [${file}](${file}) | ${rate} | ${seconds.toFixed(1)} s |`);
    console.log(`${what}: ${rate}, ${seconds.toFixed(1)} s`);
    return x;
  };
  const plain = await draw("samples.png", trained.classCond ? "conditional, no guidance" : "unconditional, no guidance", net);
  if (judge && !trained.classCond) {
    const counts = new Array(10).fill(0);
    for (const c of predictClean(judge.net, plain)) counts[c]++;
    histogram.push(
      `What the feature classifier sees in the ${n} unguided samples (a model that covers the data gives about ${n / 10} each):`,
      "",
      "| " + FASHION_CLASSES.join(" | ") + " |",
      "|" + FASHION_CLASSES.map(() => "---").join("|") + "|",
      "| " + counts.join(" | ") + " |",
      "",
    );
  }
  plain.dispose();
  if (trained.nullClass !== null) {
    for (const w of cfgWeights) {
      (await draw(`samples-cfg-${w}.png`, `classifier-free guidance w = ${w}`, cfgModel(net, { scale: w, nullClass: trained.nullClass }))).dispose();
    }
  }
  const classifierDir = f.classifier as string;
  if (!trained.classCond && existsSync(join(classifierDir, "model.safetensors"))) {
    const classifier = loadTrainedClassifier(classifierDir);
    forFlag("--classifier", () => checkGuidance(trained, classifier));
    for (const s of scales) {
      const what = `classifier guidance s = ${s} (${classifierDir}, step ${classifier.step})`;
      const guide = await guidanceOnEngine(classifier.net, s, engine);
      (await draw(`samples-guided-${s}.png`, what, net, guide.condFn)).dispose();
      await guide.dispose();
    }
  }
  const fid = judge && (f["fid-n"] as number) > 0 ? await fidLines(trained, net, diffusion, f["fid-n"] as number, steps, featuresDir, judge.step) : [];
  await net.dispose();
  const ran = engine.name === "onnx" ? `ONNX Runtime (${engine.threads} thread${engine.threads === 1 ? "" : "s"})` : `tfjs ${tf.getBackend()}`;
  return [
    `Samples: ${n} images each, DDIM ${steps} steps, seed 1234, on ${ran}; the requested classes go 0-9 along each row.` +
      (judge ? ` "Recognised" is the share the feature classifier (${featuresDir}, step ${judge.step}) assigns to the requested class.` : ""),
    "",
    "| sampling | grid | recognised | time |",
    "|---|---|---|---|",
    ...rows,
    "",
    "![samples](samples.png)",
    "",
    ...histogram,
    ...fid,
  ];
}

/**
 * The card's FID: n unguided DDIM samples (classes balanced) against the 10,000 Fashion-MNIST test
 * images in the feature network's space, beside the first n training images as the floor (the score
 * of a model that reproduced the training data, at the same n).
 */
async function fidLines(
  trained: TrainedDiffusionModel,
  net: SamplingModel,
  diffusion: GaussianDiffusion,
  n: number,
  steps: number,
  featuresDir: string,
  featuresStep: number,
): Promise<string[]> {
  const { imageSize: size, inChannels: channels } = trained.net.config;
  const bar = progress("FID samples", Math.ceil(n / 64) * steps);
  const t0 = Date.now();
  const data = await drawImages({
    sampler: ddim,
    diffusion,
    model: net,
    labels: balancedLabels(n, trained.classes),
    size: [size, size, channels],
    steps,
    seed: 1234,
    onStep: () => bar.tick(),
  });
  bar.done();
  const seconds = (Date.now() - t0) / 1000;
  const samples = await fashionSetMetrics({ data, shape: [n, size, size, channels] }, { features: featuresDir });
  const floor = await trainingSetMetrics(n, { features: featuresDir });
  const row = (what: string, m: { fid: number; precision: number; recall: number }) =>
    `| ${what} | ${n} | ${m.fid.toFixed(3)} | ${m.precision.toFixed(3)} | ${m.recall.toFixed(3)} |`;
  console.log(`FID of ${n} samples: ${samples.fid.toFixed(3)} (training set: ${floor.fid.toFixed(3)}), ${seconds.toFixed(1)} s of sampling`);
  return [
    `FID against the ${samples.referenceN.toLocaleString("en-US")} Fashion-MNIST test images, in the feature space of ${featuresDir} (step ${featuresStep}; ` +
      `pooled block means, as lib/course/set-metrics.ts computes it), with precision and recall (k = 3). The training-set row is the floor: ` +
      `what a model that reproduced the training data would score with as many images.`,
    "",
    "| images | n | FID | precision | recall |",
    "|---|---|---|---|---|",
    row(`samples, DDIM ${steps} steps, no guidance${trained.classes === null ? "" : ", classes balanced"} (${seconds.toFixed(0)} s)`, samples),
    row("training images (the floor)", floor),
    "",
  ];
}

const fmt = (s: number): string => {
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
};

export async function main(argv: string[]): Promise<void> {
  const f = parseFlags(argv, FLAGS, "usage: adm-ts model-card DIR [--n N] [--steps S]", [0, 1]);
  if (!f) return;
  const dir = f._[0];
  if (!dir) throw new UsageError("model-card needs the model directory, e.g. models/fashion-cond");
  const statePath = join(dir, "state.safetensors");
  if (!existsSync(statePath)) throw new UsageError(`${dir} has no state.safetensors (train it first)`);
  const cfgWeights = numberList("cfg", f.cfg as string),
    scales = numberList("scales", f.scales as string);
  const engine = forFlag("--engine", () => chooseEngine({ engine: f.engine as string | undefined }));
  console.log(describeEngine(engine));
  forFlag(dir, () => prepareOutput(["README.md", "loss.svg", "accuracy.svg", "samples.png"].map((name) => join(dir, name))));
  await initBackend();
  const info = readCheckpointInfo(dir);
  const run = info.config as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const history = info.history;
  const steps = info.step;
  const loaded = run.model?.kind === "diffusion" ? { diffusion: loadTrainedDiffusion(dir) } : { classifier: loadTrainedClassifier(dir) };
  const net = loaded.diffusion?.net ?? loaded.classifier!.net;
  const params = Array.from(net.params.values()).reduce((a, v) => a + v.size, 0);
  const wall = history.reduce((a, h) => a + h.seconds, 0);
  const w = Math.max(1, Math.round(history.length / 50));
  const series = [
    {
      name: `loss (moving mean of ${w})`,
      x: history.map((h) => h.step),
      y: smooth(
        history.map((h) => h.loss),
        w,
      ),
    },
  ];
  for (const k of ["mse", "vb"])
    if (history.length && k in history[0].extras)
      series.push({
        name: `${k} (mean of ${w})`,
        x: history.map((h) => h.step),
        y: smooth(
          history.map((h) => h.extras[k]),
          w,
        ),
      });
  writeFileAtomic(join(dir, "loss.svg"), lineChartSvg(series, { title: `${run.name}: training loss`, xLabel: "step", yLabel: "loss", logY: true }));
  const name = basename(resolve(dir));
  const lines: string[] = [`# ${name}`, ""];
  const model = run.model;
  const command = model.kind === "classifier" && model.noised ? "train-classifier" : "train";
  const start = `npx adm-ts ${command} --config ${run.name} --out models/${name} --batch ${run.batch} --lr ${run.lr} --warmup ${run.warmup} --ema-rate ${run.emaRate} --seed ${run.seed}${run.initFrom ? ` --init-from ${run.initFrom.dir}` : ""}`;
  // a run annealed when it was resumed (or warm-restarted) is reproduced in legs, as it ran
  const anneals = [...(run.lrAnnealsDone ?? []), ...(run.lrAnneal ? [run.lrAnneal] : [])] as { steps: number; from: number }[];
  const legs: string[] = [];
  anneals.forEach((a, i) => {
    const end = i === anneals.length - 1 ? steps : a.steps;
    const resume = `npx adm-ts ${command} --out models/${name} --resume --steps ${end} --lr-anneal-steps ${a.steps}`;
    if (i > 0) legs.push(resume);
    else if (a.from > 0) legs.push(`${start} --steps ${a.from}`, resume);
    else legs.push(`${start} --steps ${end} --lr-anneal-steps ${a.steps}`);
  });
  const reproduce = legs.length ? legs.join("\n") : `${start} --steps ${steps}`;
  const annealText = anneals.map((a) => `linear decay to 0 at step ${a.steps}${a.from ? ` from step ${a.from}` : ""}`).join(", then restart and ");
  const results: string[] = [];
  if (loaded.diffusion) {
    results.push(...(await diffusionResults(dir, loaded.diffusion, f, cfgWeights, scales, engine)));
  } else {
    const trained = loaded.classifier!;
    const test = fashionMnistDataset("test", 32);
    if (model.noised) {
      const diffusion = createGaussianDiffusion(trained.diffusion);
      const sub = { ...test, n: Math.min(test.n, 2000) };
      const acc = accuracyByTimestep(trained.net, diffusion, sub, { buckets: 10, seed: 1 });
      writeFileAtomic(
        join(dir, "accuracy.svg"),
        lineChartSvg([{ name: "test accuracy", x: acc.tCenter, y: acc.accuracy }], {
          title: "noisy classifier: accuracy on x_t against t",
          xLabel: "timestep t",
          yLabel: "accuracy",
        }),
      );
      results.push(
        `Accuracy on ${sub.n} test images noised to x_t, by timestep (chance is 10%):`,
        "",
        "![accuracy](accuracy.svg)",
        "",
        "| t | " + acc.tCenter.map((t) => Math.round(t)).join(" | ") + " |",
        "|---|" + acc.tCenter.map(() => "---").join("|") + "|",
        "| accuracy | " + acc.accuracy.map((a) => (a * 100).toFixed(1) + "%").join(" | ") + " |",
        "",
      );
    } else {
      const x = tf.tensor4d(test.images, [test.n, 32, 32, 1]);
      const acc = cleanAccuracy(trained.net, x, test.labels);
      x.dispose();
      results.push(`Test accuracy on ${test.n} Fashion-MNIST test images: **${(acc * 100).toFixed(2)}%**.`, "");
    }
  }
  const executors = (run.executors ?? [{ from: 0, executor: "tfjs (wasm)" }]) as { from: number; executor: string }[];
  const ranOn = executors
    .map((e, i) => (executors.length === 1 ? e.executor : `steps ${e.from}-${executors[i + 1]?.from ?? steps} on ${e.executor}`))
    .join(", ");
  const recent = history.slice(-Math.min(100, history.length));
  const meanLoss = recent.reduce((a, h) => a + h.loss, 0) / Math.max(1, recent.length);
  lines.push(
    `A course model trained by adm-ts's own scripts (\`${run.name}\` in \`lib/course/model-configs.ts\`).`,
    "",
    "| | |",
    "|---|---|",
    `| kind | ${model.kind === "diffusion" ? `diffusion model (${model.unet.numClasses ? "class-conditional" : "unconditional"}, learned sigma, hybrid loss)` : model.noised ? "noisy classifier p(y given x_t, t)" : "classifier of clean images (feature network)"} |`,
    `| data | Fashion-MNIST training set (${run.data === "subset" ? "10,000-image subset" : "60,000 images"}), padded to 32x32, scaled to [-1, 1] |`,
    `| parameters | ${params.toLocaleString("en-US")} |`,
    ...(run.initFrom
      ? [
          `| initialised from | ${run.initFrom.dir} (${run.initFrom.name}) at step ${run.initFrom.step}, EMA weights${run.initFrom.foldedNullClass === null ? "" : `; its null class ${run.initFrom.foldedNullClass} folded into time_embed.2.bias, which makes it exactly the unconditional model inside the classifier-free-guidance model`} |`,
        ]
      : []),
    `| steps | ${steps} at batch ${run.batch} (${((steps * run.batch) / 60000).toFixed(2)} epochs) |`,
    `| optimizer | AdamW lr ${run.lr}, warm-up ${run.warmup}, grad clip ${run.gradClip}, EMA ${run.emaRate}${annealText ? `, ${annealText}` : ""} |`,
    `| wall time | ${fmt(wall)} of training steps recorded (2-core CPU, ${ranOn}, shared with other work) |`,
    `| loss (mean of the last ${recent.length} steps) | ${meanLoss.toFixed(4)} |`,
    `| files | \`model.safetensors\` (EMA weights, PyTorch layout, guided-diffusion key names), \`state.safetensors\` (resumable training state) |`,
    "",
    "Configuration:",
    "",
    "```json",
    JSON.stringify(model, null, 2),
    "```",
    "",
    "![loss](loss.svg)",
    "",
    ...results,
    `Reproduce (or continue with \`--resume --steps N\`)${run.initFrom ? `; --init-from needs ${run.initFrom.dir} as it was at step ${run.initFrom.step}` : ""}:`,
    "",
    "```bash",
    reproduce,
    "```",
    "",
    model.kind === "diffusion" ? `Classes: ${FASHION_CLASSES.map((c, i) => `${i} ${c}`).join(", ")}.` : "",
    "",
  );
  writeFileAtomic(join(dir, "README.md"), lines.join("\n"));
  console.log(`wrote ${join(dir, "README.md")}`);
}
