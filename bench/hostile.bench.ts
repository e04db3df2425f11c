/**
 * The hostile review's inputs (issue 11, bench/hostile-inputs.ts) through the checker's command line: for each, the
 * exit code, the rule, whether the output carried a raw control or bidi character, the wall time and the peak resident
 * memory of the whole process (worker threads included), against the target of ≤ 2 s and ≤ 500 MB. Each run is cut off
 * after HOSTILE_TIMEOUT_S seconds (default 150). MECHCERT_CHECK_BIN runs another build of the checker (for example an
 * older checkout's bin/mechcert-check.js) on the same inputs, to measure before and after. A figure, never a pass or
 * fail: the tests assert the outcomes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Bench } from './harness.js';
import { writeHostileCases } from './hostile-inputs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = process.env.MECHCERT_CHECK_BIN ?? join(ROOT, 'bin/mechcert-check.js');
const TIMEOUT_S = Number(process.env.HOSTILE_TIMEOUT_S ?? 150) || 150;
/** Preloaded into the checked process: writes its peak resident set (KiB, all threads) to the file RSS_OUT at exit. */
const RSS_HOOK = `data:text/javascript,${encodeURIComponent('import{writeFileSync}from"node:fs";process.on("exit",()=>writeFileSync(process.env.RSS_OUT,String(process.resourceUsage().maxRSS)));')}`;

function runAll(): void {
  const dir = mkdtempSync(join(tmpdir(), 'mechcert-hostile-bench-'));
  try {
    const rows = writeHostileCases(dir).map((c) => {
      const rssFile = join(dir, 'rss');
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['--import', RSS_HOOK, BIN, c.cert, '--model', c.model], {
        encoding: 'utf8', timeout: TIMEOUT_S * 1000, maxBuffer: 1 << 24, env: { ...process.env, RSS_OUT: rssFile },
      });
      const seconds = (performance.now() - t0) / 1000;
      const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
      let peakMB = NaN;
      try {
        peakMB = Number(readFileSync(rssFile, 'utf8')) / 1024;
        rmSync(rssFile);
      } catch {
        // killed at the time limit: no exit hook ran
      }
      const rule = /\nrule: +(\S+)/.exec(out)?.[1] ?? (r.status === 2 ? 'usage/io' : '-');
      const outcome = r.status === null ? `killed after ${TIMEOUT_S} s` : `exit ${r.status} ${rule}`;
      const wanted = `exit ${c.expect.exit}${c.expect.rule ? ` ${c.expect.rule}` : ''}`;
      return {
        finding: c.finding, input: c.name, outcome, wanted, ok: outcome.startsWith(wanted) ? 'yes' : 'NO',
        rawControlChars: /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(out) ? 'yes' : 'no', // eslint-disable-line no-control-regex
        seconds: +seconds.toFixed(2), peakMB: Number.isNaN(peakMB) ? '?' : Math.round(peakMB),
        reason: (/\nreason: +([^\n]*)/.exec(out)?.[1] ?? out.split('\n')[0]).slice(0, 100),
      };
    });
    console.log(`checker: ${BIN}`);
    console.table(rows);
    const slowest = Math.max(...rows.map((r) => r.seconds));
    const largest = Math.max(...rows.map((r) => (typeof r.peakMB === 'number' ? r.peakMB : 0)));
    console.log(`slowest ${slowest} s (target ≤ 2 s), largest peak ${largest} MB (target ≤ 500 MB), outcomes as wanted: ${rows.filter((r) => r.ok === 'yes').length} of ${rows.length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benches: Bench[] = [{ name: 'checker: hostile inputs (issue 11)', repeats: 1, run: async () => runAll() }];
