/**
 * The model card's FID on a test-tiny stand-in: --fid-n unguided samples against the Fashion-MNIST
 * test set beside the training set's floor, whose numbers are trainingSetMetrics' own.
 */
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { initBackend } from "../../lib/backend";
import { trainingSetMetrics } from "../../lib/course/set-metrics";
import { loadFashionMnist } from "../../lib/data/fashion-mnist";

const ADM = resolve(__dirname, "../../scripts/adm.js");

function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync("node", [ADM, ...args], { encoding: "utf8", timeout: 240000, env: { ...process.env, ADM_ONNX_THREADS: "1" } });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe("adm-ts model-card --fid-n", () => {
  it("puts the FID of n samples and of n training images (the floor) against the test set in the card", async () => {
    const dir = mkdtempSync(join(tmpdir(), "card-fid-"));
    const train = run(["train", "--config", "test-tiny", "--batch", "2", "--data", "subset", "--warmup", "0", "--steps", "2", "--out", dir]);
    expect([train.status, train.out.slice(-300)]).toEqual([0, expect.any(String)]);
    const card = run(["model-card", dir, "--n", "10", "--steps", "2", "--cfg", "", "--fid-n", "24"]);
    expect([card.status, card.out.slice(-300)]).toEqual([0, expect.any(String)]);
    const text = readFileSync(join(dir, "README.md"), "utf8");
    // the whole test split: 10,000 images where the full data set is installed, the committed subset's 2,000 elsewhere
    expect(text).toContain(`FID against the ${loadFashionMnist("test").n.toLocaleString("en-US")} Fashion-MNIST test images`);
    const sampleRow = /\| samples, DDIM 2 steps, no guidance, classes balanced \(\d+ s\) \| 24 \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|/.exec(text);
    const floorRow = /\| training images \(the floor\) \| 24 \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|/.exec(text);
    expect(sampleRow).not.toBeNull();
    expect(floorRow).not.toBeNull();
    await initBackend("wasm");
    const floor = await trainingSetMetrics(24, { threads: 1 });
    expect(floorRow!.slice(1).map(Number)).toEqual([floor.fid, floor.precision, floor.recall].map((v) => Number(v.toFixed(3))));
    // two steps of a two-step model draw noise, far from the data
    expect(Number(sampleRow![1])).toBeGreaterThan(2 * floor.fid);
    expect(run(["model-card", dir, "--fid-n", "-1"]).out).toContain('--fid-n must be an integer >= 0 and <= 50000, got "-1"');
  }, 300000);
});
