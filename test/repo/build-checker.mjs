// The first step of `npm run test:quick`: the prover's tests import the built checker package (mechcert-checker is
// checker/dist), so build it (node checker/build.mjs) unless checker/dist/check.js is newer than every file it is
// built from, in checker/ and schemas/.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = join(root, 'checker/dist/check.js');
/** Build outputs and dependencies inside checker/: not sources. */
const SKIP = new Set(['dist', 'node_modules', 'schema-validator.js']);

/** The latest modification time of any file under `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const sources = Math.max(newest(join(root, 'checker')), newest(join(root, 'schemas')));
if (existsSync(built) && statSync(built).mtimeMs > sources) console.log('checker/dist is up to date with checker/ and schemas/');
else execFileSync(process.execPath, [join(root, 'checker/build.mjs')], { stdio: 'inherit' });
