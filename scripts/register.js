// Lets plain `node` run the project's TypeScript (scripts, benchmarks): compiles each .ts file with
// @swc/core as it is required. Type checking is `npm run typecheck`'s job, not this hook's.
const { transformSync } = require("@swc/core");
const fs = require("fs");
require.extensions[".ts"] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, "utf8"), {
    filename,
    sourceMaps: "inline",
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" },
  });
  module._compile(code, filename);
};
