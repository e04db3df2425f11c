/**
 * K = 5 end to end (issue 12): on the shipped K = 5, V = 64 model, whole-process wall times of the exhaustive
 * `mechcert eval --json` (every core), `mechcert prove --strategy brute-force` (every core) and `mechcert-check
 * --threads 2` on the certificate it wrote, and whether the checked count equals the exhaustive one. Run it with
 * dist/ and checker/dist/ built (`npm run build`). A figure, never a pass or fail; one run takes a few minutes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Bench } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODEL = 'models/max5-v64-s123.safetensors';

/** Runs node with `args` in the repository; its stdout and wall seconds. Throws with stderr's tail on failure. */
function run(args: string[]): { stdout: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${args.slice(0, 2).join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`);
  return { stdout: r.stdout, seconds };
}

export const benches: Bench[] = [
  {
    name: 'k5: exhaustive eval, brute-force prove and check at K=5, V=64',
    repeats: 1,
    async run() {
      const tmp = mkdtempSync(join(tmpdir(), 'mechcert-k5-'));
      try {
        const cert = join(tmp, 'k5.brute-force.json');
        const evaluated = run(['bin/mechcert.js', 'eval', MODEL, '--json']);
        const proved = run(['bin/mechcert.js', 'prove', MODEL, '--strategy', 'brute-force', '--out', cert]);
        const checked = run(['bin/mechcert-check.js', cert, '--model', MODEL, '--threads', '2', '--json']);
        const exhaustive = (JSON.parse(evaluated.stdout) as { correct: string }).correct;
        const verdict = JSON.parse(checked.stdout) as { status: string; counted?: string };
        console.log(`k5: eval ${evaluated.seconds.toFixed(1)} s (${exhaustive} correct), prove ${proved.seconds.toFixed(1)} s, `
          + `check ${checked.seconds.toFixed(1)} s (${verdict.status}, ${verdict.counted ?? '-'} counted): `
          + `${verdict.counted === exhaustive ? 'the checked count equals the exhaustive one' : 'THE COUNTS DIFFER'}`);
        return { 'eval s': evaluated.seconds, 'prove s': proved.seconds, 'check s': checked.seconds, 'counts equal': verdict.counted === exhaustive ? 1 : 0 };
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  },
];
