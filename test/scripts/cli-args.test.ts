import { spawnSync } from "child_process";
import { resolve } from "path";
import { flagProblem, parseFlags, UsageError, type FlagSpec } from "../../scripts/cli-args";

const SPEC: Record<string, FlagSpec> = {
  steps: { type: "integer", default: 25, min: 1, help: "steps" },
  eta: { type: "number", min: 0, help: "eta" },
  rate: { type: "number", default: 0.999, min: 0, below: 1, help: "EMA rate" },
  lr: { type: "number", default: 2e-4, above: 0, help: "learning rate" },
  sampler: { type: "string", default: "ddim", choices: ["ddim", "ddpm"], help: "sampler" },
  resume: { type: "boolean", default: false, help: "resume" },
};

function refusal(argv: string[], positionals: number | [number, number] = 0): string {
  try {
    parseFlags(argv, SPEC, "usage: test", positionals);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`parseFlags accepted ${argv.join(" ")}`);
}

describe("parseFlags", () => {
  it("fills defaults, reads both spellings, and records which flags were given", () => {
    const f = parseFlags(["--steps", "10", "--eta=0.5", "--resume", "x.npz"], SPEC, "usage: test", 1)!;
    expect([f.steps, f.eta, f.rate, f.sampler, f.resume, f._]).toEqual([10, 0.5, 0.999, "ddim", true, ["x.npz"]]);
    expect([...f._given].sort()).toEqual(["eta", "resume", "steps"]);
    expect(parseFlags(["--resume=false"], SPEC, "usage: test")!.resume).toBe(false);
  });

  it("refuses counts that are not integers, numbers out of range, and what Number() would take but people do not mean", () => {
    expect(refusal(["--steps", "1.5"])).toBe('--steps must be an integer >= 1, got "1.5"');
    expect(refusal(["--steps", "-5"])).toBe('--steps must be an integer >= 1, got "-5"');
    expect(refusal(["--steps", "1e400"])).toBe('--steps must be an integer >= 1, got "1e400"');
    expect(refusal(["--steps", ""])).toBe('--steps must be an integer >= 1, got ""');
    expect(refusal(["--steps", "0x10"])).toBe('--steps must be an integer >= 1, got "0x10"');
    expect(refusal(["--eta", "NaN"])).toBe('--eta must be a finite number >= 0, got "NaN"');
    expect(refusal(["--rate", "5"])).toBe('--rate must be a finite number >= 0 and < 1, got "5"');
    expect(refusal(["--lr", "0"])).toBe('--lr must be a finite number > 0, got "0"');
    expect(refusal(["--sampler", "euler"])).toBe('--sampler must be one of ddim, ddpm, got "euler"');
    expect(parseFlags(["--steps", "1e3"], SPEC, "usage: test")!.steps).toBe(1000);
  });

  it("refuses unknown, repeated and valueless flags, stray arguments, and a word after a boolean flag", () => {
    expect(refusal(["--stpes", "3"])).toMatch(/^unknown flag --stpes; known flags: --steps, --eta/);
    expect(refusal(["--steps", "3", "--steps", "4"])).toBe("--steps is given twice; give it once");
    expect(refusal(["--steps"])).toBe("--steps needs a value (steps)");
    expect(refusal(["stray"])).toMatch(/^this command takes no arguments besides its flags, got 1 \("stray"\)/);
    expect(refusal(["a", "b", "c"], [1, 2])).toMatch(/^this command takes 1 to 2 arguments, got 3/);
    expect(refusal([], 2)).toMatch(/^this command takes 2 arguments, got 0/);
    // `--resume false` used to resume, the word ignored
    expect(refusal(["--resume", "false"])).toMatch(
      /^--resume takes no value, so "false" would be a stray argument: write --resume to turn it on, --resume=false to say it/,
    );
    expect(refusal(["--resume=maybe"])).toBe('--resume is true or false, got "maybe"');
    expect(refusal(["--x"], 0)).toMatch(/unknown flag --x/);
  });

  it("checks stored values the way it checks typed ones (flagProblem)", () => {
    expect(flagProblem(SPEC.rate, 0.5)).toBeUndefined();
    expect(flagProblem(SPEC.rate, 1)).toBe("must be a finite number >= 0 and < 1");
    expect(flagProblem(SPEC.steps, "10")).toBe("must be an integer >= 1");
    expect(flagProblem(SPEC.sampler, "ddpm")).toBeUndefined();
  });

  it("exits with code 2 naming the flag, for every command (count-params took unknown flags with exit 0)", () => {
    const adm = resolve(__dirname, "../../scripts/adm.js");
    for (const [args, message] of [
      [["count-params", "--bogus"], /error: unknown flag --bogus; this command takes no flags/],
      [["count-params", "extra"], /error: this command takes no arguments besides its flags, got 1 \("extra"\)/],
      [["sample", "--model", "m", "--n", "1e9"], /error: --n must be an integer >= 1 and <= 50000, got "1e9"/],
    ] as [string[], RegExp][]) {
      const r = spawnSync(process.execPath, [adm, ...args], { encoding: "utf8", timeout: 30000 });
      expect([args.join(" "), r.status]).toEqual([args.join(" "), 2]);
      expect(r.stderr).toMatch(message);
    }
  }, 60000);
});
