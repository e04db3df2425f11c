// `npm ci`'s prepare step: builds the checker package (and its browser page) always, and the prover (src/ → dist/,
// so that bin/mechcert.js starts fast) when the prover's dependencies are installed. They are not when `npm ci` runs
// inside checker/, which installs the checker's build tools only.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (args) => execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd: root, stdio: 'inherit' });
run(['run', 'build', '--workspace', 'checker']);
if (existsSync(`${root}node_modules/commander/package.json`)) run(['exec', '--', 'tsc', '-p', 'tsconfig.build.json']);
else console.log('prepare: the prover is not built here (its dependencies are not installed); `npm run build` builds it');
