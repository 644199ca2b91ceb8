/**
 * The checkers of notebooks 05 and 07 accept a right answer and reject the usual wrong ones, saying
 * what differs.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { createGaussianDiffusion } from "../../lib/diffusion";
import { EncoderUNetModel } from "../../lib/models";
import { checkAdaGN, checkClassifierGradient, checkGroupNorm, checkPredictXstart, checkTimestepEmbedding } from "../../lib/course/exercise-checks";

beforeAll(async () => {
  await initBackend("wasm");
});

const quiet = { display: false };

/** GroupNorm by hand: moments over H, W and the group's channels (`perChannel` takes them per channel instead). */
function groupNorm(x: tf.Tensor4D, groups: number, perChannel = false): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const g = x.reshape([n, h * w, groups, c / groups]);
  const { mean, variance } = tf.moments(g, perChannel ? [1] : [1, 3], true);
  return g.sub(mean).div(variance.add(1e-5).sqrt()).reshape([n, h, w, c]) as tf.Tensor4D;
}

test("checkGroupNorm accepts GroupNorm and rejects per-channel (instance) normalisation", () => {
  const right = checkGroupNorm((x, groups) => groupNorm(x, groups), quiet);
  expect(right.ok).toBe(true);
  expect(right.message).toMatch(/^✓ GroupNorm matches the library on 3 inputs/);
  // with 32 channels each group is one channel, so the per-channel version agrees there and fails on 64
  const wrong = checkGroupNorm((x, groups) => groupNorm(x, groups, true), quiet);
  expect(wrong.ok).toBe(false);
  expect(wrong.message).toMatch(/✗ GroupNorm differs on case 2 of 3 \(x = tensor \[2, 4, 4, 64\], groups = 32\): element \[/);
  expect(wrong.message).toMatch(/hint: each sample's channels split into `groups` consecutive groups/);
});

test("checkAdaGN accepts GN(h) (1 + scale) + shift and rejects scale without the 1, swapped halves and adding before the norm", () => {
  const halves = (e: tf.Tensor2D) => tf.split(e, 2, 1).map((p) => p.reshape([-1, 1, 1, e.shape[1] / 2]));
  expect(
    checkAdaGN((h, e, gn) => {
      const [s, b] = halves(e);
      return gn(h).mul(s.add(1)).add(b) as tf.Tensor4D;
    }, quiet).ok,
  ).toBe(true);
  const wrongs = [
    (h: tf.Tensor4D, e: tf.Tensor2D, gn: (h: tf.Tensor4D) => tf.Tensor4D) => {
      const [s, b] = halves(e);
      return gn(h).mul(s).add(b) as tf.Tensor4D;
    },
    (h: tf.Tensor4D, e: tf.Tensor2D, gn: (h: tf.Tensor4D) => tf.Tensor4D) => {
      const [b, s] = halves(e);
      return gn(h).mul(s.add(1)).add(b) as tf.Tensor4D;
    },
    (h: tf.Tensor4D, e: tf.Tensor2D, gn: (h: tf.Tensor4D) => tf.Tensor4D) => {
      const [s, b] = halves(e);
      return gn(h.add(b) as tf.Tensor4D).mul(s.add(1)) as tf.Tensor4D;
    },
  ];
  for (const wrong of wrongs) {
    const r = checkAdaGN(wrong, quiet);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(
      /✗ AdaGN differs on case 1 of 3 \(h = tensor \[2, 4, 4, 64\], e = tensor \[2, 128\], groupNorm = function\): element \[\d, \d, \d, \d+\]: yours/,
    );
    expect(r.message).toMatch(/hint: split e into `scale = e\[:, :C\]`/);
  }
});

test("checkTimestepEmbedding accepts cos-then-sin (tensor or arrays) and rejects sin first", () => {
  const embed = (t: number[], dim: number, sinFirst = false) =>
    t.map((tt) => {
      const half = dim / 2;
      const f = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
      const cos = f.map((fi) => Math.cos(tt * fi)),
        sin = f.map((fi) => Math.sin(tt * fi));
      return sinFirst ? [...sin, ...cos] : [...cos, ...sin];
    });
  expect(checkTimestepEmbedding((t, dim) => embed(t, dim), quiet).ok).toBe(true);
  expect(checkTimestepEmbedding((t, dim) => tf.tensor2d(embed(t, dim)), quiet).ok).toBe(true);
  const wrong = checkTimestepEmbedding((t, dim) => embed(t, dim, true), quiet);
  expect(wrong.ok).toBe(false);
  expect(wrong.message).toMatch(/✗ timestep embedding differs on case 1 of 3 \(t = array of 5, dim = 8\): element \[0, 0\]: yours/);
});

test("checkClassifierGradient accepts tf.grad of log softmax[y] and rejects the gradient of the logit", () => {
  const classifier = new EncoderUNetModel({
    imageSize: 8,
    inChannels: 1,
    modelChannels: 32,
    outChannels: 3,
    numResBlocks: 1,
    attentionResolutions: [],
    channelMult: [1, 1],
    pool: "adaptive",
  });
  // the head is zero-initialised (zero_module); give it weights so that the logits depend on x
  for (const [name, v] of classifier.params) if (name.startsWith("out.")) v.assign(tf.randomNormal(v.shape, 0, 0.3, "float32", 1));
  const gradOf = (pick: (logits: tf.Tensor2D, y: tf.Tensor1D) => tf.Scalar) => (x: tf.Tensor4D, t: tf.Tensor1D, y: tf.Tensor1D) =>
    tf.grad((xx: tf.Tensor) => pick(classifier.forward(xx as tf.Tensor4D, t), y))(x) as tf.Tensor4D;
  const logP = (logits: tf.Tensor2D, y: tf.Tensor1D) => tf.logSoftmax(logits).mul(tf.oneHot(y, 3)).sum() as tf.Scalar;
  const logit = (logits: tf.Tensor2D, y: tf.Tensor1D) => logits.mul(tf.oneHot(y, 3)).sum() as tf.Scalar;
  expect(checkClassifierGradient(gradOf(logP), classifier, quiet).ok).toBe(true);
  const wrong = checkClassifierGradient(gradOf(logit), classifier, quiet);
  expect(wrong.ok).toBe(false);
  expect(wrong.message).toMatch(/✗ grad log p\(y \| x_t\) differs on case 1 of 3 \(x = tensor \[2, 8, 8, 1\], t = tensor \[2\], y = tensor \[2\]\)/);
  expect(wrong.message).toMatch(/hint: differentiate the log-probability/);
  classifier.dispose();
});

test("checkPredictXstart accepts the formula at index t and rejects alphaBar at t - 1", () => {
  const d = createGaussianDiffusion({ steps: 100, noiseSchedule: "cosine" });
  const x0 = (xt: tf.Tensor4D, eps: tf.Tensor4D, t: number[], shift = 0) => {
    const ab = tf.tensor4d(
      t.map((i) => d.alphasCumprod[Math.max(0, i - shift)]),
      [t.length, 1, 1, 1],
    );
    return xt.sub(eps.mul(tf.sqrt(tf.sub(1, ab)))).div(tf.sqrt(ab)) as tf.Tensor4D;
  };
  expect(checkPredictXstart((xt, eps, t) => x0(xt, eps, t), d, quiet).ok).toBe(true);
  const wrong = checkPredictXstart((xt, eps, t) => x0(xt, eps, t, 1), d, quiet);
  expect(wrong.ok).toBe(false);
  expect(wrong.message).toMatch(
    /✗ predicted x_0 differs on case 1 of 3 \(xt = tensor \[3, 4, 4, 1\], eps = tensor \[3, 4, 4, 1\], t = array of 3\): element \[1, /,
  );
});

test("the checkers free every tensor they make", () => {
  const before = tf.memory().numTensors;
  checkGroupNorm((x, groups) => groupNorm(x, groups), quiet);
  checkAdaGN((h, e, gn) => gn(h), quiet);
  checkTimestepEmbedding((t, dim) => t.map(() => new Array(dim).fill(0)), quiet);
  expect(tf.memory().numTensors).toBe(before);
});
