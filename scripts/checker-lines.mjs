// Lines of code (without comments and blank lines) of the checker's trusted core, per file: everything in checker/
// but its front ends (the command line, the input reader, verdict printing, the browser page) and the parallel
// driver, whose results the core re-checks. Run: npm run checker:lines [-- --json]
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const checker = fileURLToPath(new URL('../checker/', import.meta.url));
/** Front ends, the parallel driver and the prover's entry to the float32 margin (float32.ts): not part of the core. */
export const OUTSIDE_CORE = ['cli.ts', 'command.ts', 'read.ts', 'verdict.ts', 'parallel.ts', 'count-worker.ts', 'platform-browser.ts', 'float32.ts'];

/** Code lines of TypeScript source: block comments, line comments and blank lines removed. */
export function codeLines(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//')).length;
}

export function coreLines() {
  return readdirSync(checker, { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !/^(dist|web|node_modules)\//.test(f) && !OUTSIDE_CORE.includes(f))
    .map((f) => ({ file: relative(join(checker, '..'), join(checker, f)), lines: codeLines(readFileSync(join(checker, f), 'utf8')) }))
    .sort((a, b) => b.lines - a.lines);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = coreLines();
  const total = files.reduce((a, f) => a + f.lines, 0);
  if (process.argv.includes('--json')) console.log(JSON.stringify({ total, files }));
  else {
    for (const f of files) console.log(`${String(f.lines).padStart(5)}  ${f.file}`);
    console.log(`${String(total).padStart(5)}  checker core (code lines, without comments and blanks)`);
  }
}
