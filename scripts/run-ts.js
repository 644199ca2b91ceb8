#!/usr/bin/env node
// Run a TypeScript file: node scripts/run-ts.js FILE.ts [args...]
require("./register");
const path = require("path");
const file = process.argv[2];
if (!file) {
  console.error("usage: node scripts/run-ts.js FILE.ts [args...]");
  process.exit(2);
}
process.argv.splice(1, 1);
require(path.resolve(file));
