/**
 * Evaluate samples against a reference set, as ADM's evaluations/evaluator.py does:
 *   node scripts/run-ts.js scripts/evaluate.ts SAMPLES.npz REF.npz|fashion-mnist [--features inception|pixels|PATH] [--batch N]
 *   adm-ts evaluate ...   (the same, through scripts/adm.js)
 * Prints FID, sFID, precision, recall (and IS when the features have class probabilities) as a
 * markdown table on stdout; progress of feature extraction goes to stderr.
 */
import { existsSync } from "fs";
import { basename, resolve } from "path";
import { initBackend } from "../lib/backend";
import { loadFashionMnist } from "../lib/data/fashion-mnist";
import { evaluateFeatures } from "../lib/metrics/evaluate";
import { inceptionFeatureExtractor, pixelFeatureExtractor } from "../lib/metrics/extractors";
import { extractFeatures, FeatureExtractor, Features, Uint8Images } from "../lib/metrics/feature-extractor";
import { readInceptionV3 } from "../lib/metrics/inception-weights";
import { readReferenceBatch, ReferenceBatch } from "../lib/metrics/reference-batch";
import { progress } from "../lib/viz/progress";
import { resultsMarkdown } from "../lib/viz/curves";
import { FlagSpec, parseFlags, runCli, UsageError } from "./cli-args";
import { refuse } from "../lib/io/errors";
import { courseFeatureExtractor } from "../lib/course/feature-extractor";

/** The shipped Fashion-MNIST feature classifier. */
const FASHION_FEATURES = resolve(__dirname, "../models/fashion-features");

const USAGE = "usage: evaluate SAMPLES.npz REF.npz|fashion-mnist [--features inception|fashion|pixels|WEIGHTS] [--batch N]";

const FLAGS: Record<string, FlagSpec> = {
  features: {
    type: "string",
    default: "inception",
    help: "inception (FID InceptionV3; weights from $ADM_INCEPTION_WEIGHTS), fashion (the course's Fashion-MNIST classifier in models/fashion-features), pixels (raw pixels, a sanity baseline), or a path to InceptionV3 weights (.pth, .safetensors, .npz)",
  },
  batch: { type: "integer", default: 64, min: 1, max: 4096, help: "images per forward pass of the feature network" },
  limit: { type: "integer", default: 0, min: 0, help: "use at most this many images of each set (0: all)" },
  name: { type: "string", help: "model name in the table (default: the samples file name)" },
};

/** The reference images (and stored statistics) named by the second argument. */
function readReference(arg: string): ReferenceBatch {
  if (arg === "fashion-mnist") {
    const data = loadFashionMnist("test");
    return { images: { data: data.images, shape: [data.n, data.height, data.width, 1] } };
  }
  if (!existsSync(arg)) throw new UsageError(`reference ${arg} does not exist; pass an .npz reference batch (arr_0 uint8 NHWC images) or "fashion-mnist"`);
  return readReferenceBatch(arg);
}

function readSamples(path: string): Uint8Images {
  if (!existsSync(path)) throw new UsageError(`samples ${path} does not exist; pass the .npz written by the sampler (arr_0 uint8 NHWC images)`);
  const batch = readReferenceBatch(path);
  if (!batch.images)
    refuse(path, "array arr_0", "no arr_0; a samples file needs the images themselves", "pass the .npz written by the sampler (arr_0 uint8 NHWC images)");
  return batch.images;
}

function firstN(images: Uint8Images, limit: number): Uint8Images {
  const [n, h, w, c] = images.shape;
  if (limit <= 0 || limit >= n) return images;
  return { data: images.data.subarray(0, limit * h * w * c), shape: [limit, h, w, c] };
}

/**
 * Refuse sets that cannot be compared: images of another shape (aspect ratio) or channel count
 * would be stretched or recoloured before the features see them, so the metrics would measure that,
 * not the model; too few images give no covariance. One size scaled to another is fine (32x32
 * samples of the padded course data against the 28x28 Fashion-MNIST test set).
 */
function checkComparable(samples: Uint8Images, samplesPath: string, reference: Uint8Images, referenceArg: string): void {
  const [n, h, w, c] = samples.shape,
    [m, rh, rw, rc] = reference.shape;
  if (h * rw !== w * rh || c !== rc) {
    throw new UsageError(
      `${samplesPath} holds ${h}x${w}x${c} images but ${referenceArg} holds ${rh}x${rw}x${rc}: ` +
        "metrics compare images of one shape and channel count; sample at the reference's shape, or give a reference batch like the samples",
    );
  }
  // precision and recall use k = 3 nearest neighbours within each set
  for (const [count, what] of [
    [n, samplesPath],
    [m, referenceArg],
  ] as const) {
    if (count < 4)
      throw new UsageError(`${what} holds ${count} images; the metrics need at least 4 (FID's covariance, and 3 nearest neighbours for precision/recall)`);
  }
}

/** The extractor named by --features; pixel features are resized to the reference's size when sizes differ. */
function makeExtractor(features: string, samples: Uint8Images, reference: Uint8Images): FeatureExtractor {
  if (features === "pixels") {
    const [, h, w] = reference.shape;
    const same = samples.shape[1] === h && samples.shape[2] === w;
    return pixelFeatureExtractor(same ? {} : { size: [h, w] });
  }
  if (features === "fashion") {
    if (!existsSync(FASHION_FEATURES))
      throw new UsageError(
        `--features fashion needs the feature classifier in ${FASHION_FEATURES}; train it with 'adm-ts train --config fashion-features --out ${FASHION_FEATURES}'`,
      );
    return courseFeatureExtractor(FASHION_FEATURES);
  }
  const path = features === "inception" ? process.env.ADM_INCEPTION_WEIGHTS : features;
  if (!path) {
    throw new UsageError(
      "--features inception needs the FID InceptionV3 weights: download pt_inception-2015-12-05-6726825d.pth " +
        "(see lib/metrics/inception-weights.ts) and set ADM_INCEPTION_WEIGHTS=<path> or pass --features <path>; or use --features pixels",
    );
  }
  if (!existsSync(path)) throw new UsageError(`--features ${features}: weights file ${path} does not exist`);
  return inceptionFeatureExtractor(readInceptionV3(path));
}

async function features(extractor: FeatureExtractor, images: Uint8Images, label: string, batchSize: number): Promise<Features> {
  const bar = progress(`${label} features`, images.shape[0], { to: "stderr" });
  let done = 0;
  const out = await extractFeatures(extractor, images, {
    batchSize,
    onProgress: (n) => {
      bar.tick(n - done);
      done = n;
    },
  });
  bar.done();
  return out;
}

export async function main(argv: string[]): Promise<void> {
  const f = parseFlags(argv, FLAGS, USAGE, 2);
  if (!f) return;
  const batch = f.batch as number,
    limit = f.limit as number;
  const [samplesPath, referenceArg] = f._;
  const samples = firstN(readSamples(samplesPath), limit);
  const reference = readReference(referenceArg);
  if (!reference.images) {
    throw new UsageError(`${referenceArg}: has statistics but no arr_0 images; precision and recall need the reference images`);
  }
  const refImages = firstN(reference.images, limit);
  checkComparable(samples, samplesPath, refImages, referenceArg);
  const backend = await initBackend();
  const extractor = makeExtractor(f.features as string, samples, refImages);
  console.error(`features ${extractor.name}, backend ${backend.name}: ${samples.shape[0]} samples, ${refImages.shape[0]} reference images`);
  const ref = await features(extractor, refImages, "reference", batch);
  const sample = await features(extractor, samples, "samples", batch);
  // Stored mu/sigma are Inception statistics of the whole reference batch: use them only with Inception features.
  const stored = extractor.name === "inception-v3" && limit === 0;
  const result = evaluateFeatures(sample, ref, {
    referenceStats: stored ? reference.stats : undefined,
    referenceSpatialStats: stored ? reference.spatialStats : undefined,
  });
  console.log(resultsMarkdown([{ model: (f.name as string | undefined) ?? basename(samplesPath), ...result }], { digits: 4, boldBest: false }));
}

// Run directly (node scripts/run-ts.js scripts/evaluate.ts ...); scripts/adm.js calls main itself.
if (process.argv[1] && resolve(process.argv[1]) === __filename) runCli(() => main(process.argv.slice(2)));
