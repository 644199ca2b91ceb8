#!/usr/bin/env node
// adm-ts command-line tools: adm-ts <command> [flags]; `adm-ts <command> --help` for each.
require("./register");
const path = require("path");

const COMMANDS = {
  train: ["train.ts", "train a course diffusion model (or classifier) with checkpoints and --resume", {}],
  "train-classifier": ["train.ts", "train the noisy classifier (default --config fashion-classifier)", { config: "fashion-classifier" }],
  sample: ["sample.ts", "sample images from a model (optionally classifier-guided) to a PNG grid and an .npz", {}],
  sweep: ["sweep.ts", "sample sets for metric curves: one ADM-format .npz per guidance scale or EMA snapshot, resumable", {}],
  evaluate: ["evaluate.ts", "FID / sFID / precision / recall of a sample .npz against a reference", {}],
  "model-card": ["model-card.ts", "write a trained model's card: config, losses, samples and FID, or accuracy", {}],
  "count-params": ["count-params.ts", "parameter counts of the paper's Table 11 models and released classifiers", {}],
  "fetch-adm": ["fetch-adm.ts", "download OpenAI's released checkpoints (resumable, SHA-256 checked): fetch-adm 64x64", {}],
};

function usage() {
  return (
    "usage: adm-ts <command> [flags]\n\ncommands:\n" +
    Object.entries(COMMANDS)
      .map(([k, [, help]]) => `  ${k.padEnd(18)} ${help}`)
      .join("\n") +
    "\n\n`adm-ts <command> --help` lists each command's flags."
  );
}

const [cmd, ...args] = process.argv.slice(2);
if (!cmd || cmd === "--help" || cmd === "-h") {
  console.log(usage());
  process.exit(cmd ? 0 : 2);
}
const entry = COMMANDS[cmd];
if (!entry) {
  console.error(`unknown command "${cmd}"\n${usage()}`);
  process.exit(2);
}
const mod = require(path.join(__dirname, entry[0]));
const { runCli } = require("./cli-args.ts");
runCli(() => mod.main(args, entry[2]));
