#!/usr/bin/env node
// Jupyter kernel launcher for tslab. tslab uses the kernel's working directory as the TypeScript
// rootDir, and Jupyter starts kernels in the notebook's folder, so `import ... from "./lib/..."` would
// fail from notebooks/. Starting the kernel at the repository root makes every notebook import the
// library as ./lib/...
const path = require("path");
const root = path.resolve(__dirname, "..");
process.chdir(root);
process.argv = [process.argv[0], path.join(root, "node_modules/tslab/bin/tslab"), ...process.argv.slice(2)];
require(path.join(root, "node_modules/tslab/dist/main.js")).main();
