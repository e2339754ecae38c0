#!/usr/bin/env node
// Prints the Khronos glTF-Validator report (JSON) of one .glb/.gltf/.vrm file.
// Usage: node scripts/gltf_validate.mjs FILE [MAX_ISSUES]
// The validator comes from npm (gltf-validator), installed by `scripts/setup.sh test` into
// .tools/; GLTF_VALIDATOR_DIR overrides where to look. External resources (URIs to other
// files) are refused: the avatars VIDA accepts are self-contained, and a report must never
// depend on what else lies next to the file.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const toolsDir = process.env.GLTF_VALIDATOR_DIR ?? path.join(root, ".tools");
const require = createRequire(path.join(toolsDir, "package.json"));

const [file, maxIssues = "1000"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node scripts/gltf_validate.mjs FILE [MAX_ISSUES]");
  process.exit(2);
}
let validator;
try {
  validator = require("gltf-validator");
} catch {
  console.error(`gltf-validator is not installed in ${toolsDir} (run scripts/setup.sh test)`);
  process.exit(3);
}
const bytes = new Uint8Array(await readFile(file));
const report = await validator.validateBytes(bytes, {
  uri: path.basename(file),
  maxIssues: Number(maxIssues),
  externalResourceFunction: (uri) => Promise.reject(new Error(`external resource refused: ${uri}`)),
});
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
