/**
 * Start-up (issue 11): whole-process wall times of the two CLIs as users run them, `node -e 0` for the floor. Each
 * command runs STARTUP_RUNS times (default 7, at least 5) through spawnSync, the commands taking turns so that a burst
 * of load elsewhere on the machine spreads over all of them; the table prints each median beside the figure
 * from before the change and its target. Run it with dist/ and checker/dist/ built (`npm run build`): bin/mechcert.js
 * runs dist/, or the sources through tsx (slower) where there is no build. A figure, never a pass or fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { median, type Bench } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Math.max(5, Number(process.env.STARTUP_RUNS ?? 7) || 7);
const MODEL = 'models/max4-v64-s123.safetensors';

interface Case {
  label: string;
  args: (tmp: string) => string[];
  /** The whole-process median before the change (2-core machine), seconds. */
  before: number;
  /** The target, seconds. */
  target?: number;
}

const check = (kind: string) => (): string[] => ['bin/mechcert-check.js', `certificates/max4-v64-s123.${kind}.json`, '--model', MODEL];

const CASES: Case[] = [
  { label: 'node -e 0', args: () => ['-e', '0'], before: 0.10 },
  { label: 'mechcert-check --help', args: () => ['bin/mechcert-check.js', '--help'], before: 0.75, target: 0.2 },
  { label: 'mechcert-check subcubic', args: check('subcubic'), before: 0.98, target: 0.35 },
  { label: 'mechcert-check cubic', args: check('cubic'), before: 1.83, target: 0.8 },
  { label: 'mechcert-check brute force K=4', args: check('brute-force'), before: 2.69, target: 2 },
  { label: 'mechcert --help', args: () => ['bin/mechcert.js', '--help'], before: 1.38, target: 0.3 },
  {
    label: 'mechcert prove --strategy cubic',
    args: (tmp) => ['bin/mechcert.js', 'prove', MODEL, '--strategy', 'cubic', '--out', join(tmp, 'cubic.json')],
    before: 1.70,
  },
];

/** Seconds of one whole process, or the exit status and the last line of stderr where it failed. */
function time(args: string[]): { seconds: number; failure?: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status === 0) return { seconds };
  // The line that says what went wrong: an uncaught error's `Error…:` line, else stderr's last line.
  const lines = (r.stderr ?? '').trim().split('\n');
  const why = lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.pop() ?? '';
  return { seconds, failure: `exit ${r.status ?? r.signal}: ${why.slice(0, 160)}` };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

export const benches: Bench[] = [
  {
    name: 'startup: whole-process medians',
    repeats: 1,
    async run() {
      const tmp = mkdtempSync(join(tmpdir(), 'mechcert-startup-'));
      const times = CASES.map(() => [] as number[]);
      const failures = CASES.map(() => undefined as string | undefined);
      try {
        for (let run = 0; run < RUNS; run++) {
          CASES.forEach((c, i) => {
            const r = time(c.args(tmp));
            times[i].push(r.seconds);
            failures[i] ??= r.failure;
          });
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      const medians = times.map(median);
      const rows = [['command', 'before s', `now s (median of ${RUNS})`, 'target s', ''], ...CASES.map((c, i) => [
        c.label, c.before.toFixed(2), medians[i].toFixed(2), c.target === undefined ? '-' : c.target.toFixed(2),
        failures[i] ? `FAILED (${failures[i]})` : c.target === undefined ? '' : medians[i] <= c.target ? 'within target' : 'over target',
      ])];
      console.log(table(rows));
      return Object.fromEntries(CASES.map((c, i) => [`${c.label} s`, medians[i]]));
    },
  },
];
