import { gaussianClasses, meanNearestDistance, ofClass } from "../../lib/toy/data";
import { fitGaussian, fitGaussianClasses, gaussianLogPdf, logDensity, posteriorOf, sampleGaussian } from "../../lib/toy/gaussian";
import { makeRng } from "../../lib/rng";

describe("Gaussian fit and Bayes posterior (notebook 01)", () => {
  it("fits the sample mean and the 1/n covariance", () => {
    // points (0,0), (2,0), (0,2), (2,2): mean (1,1), var 1 in each coordinate, no correlation
    const g = fitGaussian({ x: new Float32Array([0, 0, 2, 0, 0, 2, 2, 2]), n: 4 });
    expect(g.mean).toEqual([1, 1]);
    expect(g.cov).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it("recovers the generating parameters from many samples", () => {
    const g0 = {
      mean: [1, -2] as [number, number],
      cov: [
        [2, 0.6],
        [0.6, 0.5],
      ] as [[number, number], [number, number]],
    };
    const g = fitGaussian({ x: sampleGaussian(g0, 40000, makeRng(3)), n: 40000 });
    expect(g.mean[0]).toBeCloseTo(1, 1);
    expect(g.mean[1]).toBeCloseTo(-2, 1);
    expect(g.cov[0][0]).toBeCloseTo(2, 1);
    expect(g.cov[0][1]).toBeCloseTo(0.6, 1);
    expect(g.cov[1][1]).toBeCloseTo(0.5, 1);
  });

  it("log N matches the closed form of a standard and a diagonal Gaussian", () => {
    const std = {
      mean: [0, 0] as [number, number],
      cov: [
        [1, 0],
        [0, 1],
      ] as [[number, number], [number, number]],
    };
    expect(gaussianLogPdf(std, 0, 0)).toBeCloseTo(-Math.log(2 * Math.PI), 12);
    expect(gaussianLogPdf(std, 1, 2)).toBeCloseTo(-2.5 - Math.log(2 * Math.PI), 12);
    const diag = {
      mean: [1, 0] as [number, number],
      cov: [
        [4, 0],
        [0, 9],
      ] as [[number, number], [number, number]],
    };
    const want = -0.5 * (1 / 4 + 9 / 9) - 0.5 * Math.log(36) - Math.log(2 * Math.PI); // at (2, 3)
    expect(gaussianLogPdf(diag, 2, 3)).toBeCloseTo(want, 12);
  });

  it("with a shared covariance, the posterior is logistic in x with w = S^-1 (mu1 - mu0)", () => {
    const S: [[number, number], [number, number]] = [
      [1, 0.3],
      [0.3, 0.5],
    ];
    const m = {
      prior: [0.7, 0.3],
      classes: [
        { mean: [-1, 0] as [number, number], cov: S },
        { mean: [1, 0.5] as [number, number], cov: S },
      ],
    };
    const det = S[0][0] * S[1][1] - S[0][1] ** 2;
    const Si = [
      [S[1][1] / det, -S[0][1] / det],
      [-S[0][1] / det, S[0][0] / det],
    ];
    const d = [2, 0.5];
    const w = [Si[0][0] * d[0] + Si[0][1] * d[1], Si[1][0] * d[0] + Si[1][1] * d[1]];
    const quad = (mu: number[]) => mu[0] * (Si[0][0] * mu[0] + Si[0][1] * mu[1]) + mu[1] * (Si[1][0] * mu[0] + Si[1][1] * mu[1]);
    const b = -0.5 * quad([1, 0.5]) + 0.5 * quad([-1, 0]) + Math.log(0.3 / 0.7);
    const pts = new Float32Array([0, 0, 1, 1, -2, 0.5, 0.3, -1.5]);
    const got = posteriorOf(m, pts, 1);
    for (let i = 0; i < 4; i++) {
      const want = 1 / (1 + Math.exp(-(w[0] * pts[2 * i] + w[1] * pts[2 * i + 1] + b)));
      expect(got[i]).toBeCloseTo(want, 6);
    }
  });

  it("the class model estimates the prior, and p(x) integrates to 1 over a grid", () => {
    const data = gaussianClasses(4000, { seed: 1 });
    const m = fitGaussianClasses(data);
    expect(m.prior[0]).toBeCloseTo(0.6, 1);
    expect(m.prior[0] + m.prior[1]).toBeCloseTo(1, 12);
    expect(m.classes[1].mean[0]).toBeCloseTo(1.2, 1);
    expect(ofClass(data, 1).n).toBe(Math.round(m.prior[1] * 4000));
    const h = 0.05,
      pts: number[] = [];
    for (let x = -8; x <= 8; x += h) for (let y = -8; y <= 8; y += h) pts.push(x, y);
    const lp = logDensity(m, new Float32Array(pts));
    let total = 0;
    for (const v of lp) total += Math.exp(v) * h * h;
    expect(total).toBeCloseTo(1, 2);
  });

  it("rejects unlabelled points and a degenerate covariance", () => {
    expect(() => fitGaussianClasses({ x: new Float32Array(4), n: 2 })).toThrow(/need labels/);
    const flat = {
      mean: [0, 0] as [number, number],
      cov: [
        [1, 1],
        [1, 1],
      ] as [[number, number], [number, number]],
    };
    expect(() => gaussianLogPdf(flat, 0, 0)).toThrow(/not positive definite/);
  });
});

test("mean nearest distance", () => {
  const a = new Float32Array([0, 0, 3, 4]),
    b = new Float32Array([0, 1, 3, 4, 10, 10]);
  expect(meanNearestDistance(a, b)).toBeCloseTo((1 + 0) / 2, 12);
});
