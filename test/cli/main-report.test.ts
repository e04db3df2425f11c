/**
 * `mechcert main` (what `npm start` runs) and `mechcert report` as a user runs them, on a tiny random model and four
 * strategies: what they print fits 100 columns, names the report and the certificates, says why a bound is 0, and the
 * re-check command it prints verifies the certificate it names.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModel } from '../../src/model/model.js';
import { randomModel } from '../model/random-model.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mechcert-main-cli-'));
// An untrained model: the svd_query+max_diff direct-path bound is far too loose on it to prove any case.
const ZERO = 'subcubic/svd_query+max_diff/mean_query+diff/svd';
const STRATEGIES = ['brute-force', 'cubic', 'subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact', ZERO].join(',');

/** Runs bin/mechcert.js in the test's folder, so that the cache and relative paths are the test's own. */
function mechcert(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/mechcert.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const columns = (line: string) => [...line].length;
let main: ReturnType<typeof mechcert>;

beforeAll(() => {
  writeModel(join(dir, 'rand.safetensors'), randomModel({ k: 2, vocab: 4, dModel: 8, dHead: 8 }, 2));
  main = mechcert('main', '--model', 'rand.safetensors', '--strategies', STRATEGIES, '--out', 'out');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mechcert main', () => {
  it('prints a summary in at most 100 columns, stdout and stderr alike', () => {
    expect(main.code, main.stderr).toBe(0);
    for (const line of `${main.stdout}${main.stderr}`.split('\n')) expect(columns(line), line).toBeLessThanOrEqual(100);
    expect(main.stdout).toContain('Checker: 4 of 4 certificates verified by the exact checker.');
    expect(main.stdout).toMatch(/^ {2}cubic {2,}\d\.\d{4}/m);
  });

  it('says why a bound is 0: no case proved, and how far the closest case was', () => {
    expect(main.stdout).toContain('Bound 0: ');
    expect(main.stdout).toMatch(new RegExp(`^  ${ZERO.replace(/[+/]/g, '\\$&')}: \\+\\d`, 'm'));
  });

  it('names the full report and the certificates, and its re-check command verifies one', () => {
    expect(main.stdout).toContain('Full table: out/report.md');
    expect(main.stdout).toContain('Certificates: out/certificates (4 of 4)');
    const command = /^ {2}npx mechcert-check (.+)$/m.exec(main.stdout.replace(/ \\\n\s+/g, ' '))![1].split(' ');
    expect(command).toEqual([expect.stringMatching(/^out\/certificates\/rand\/.+\.json\.gz$/), '--model', 'out/models/rand.safetensors']);
    const check = spawnSync(process.execPath, [join(root, 'bin/mechcert-check.js'), ...command], { cwd: dir, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^VERIFIED/);
  });
});

describe('mechcert report', () => {
  it('prints the same summary, from the cache main filled', () => {
    const r = mechcert('report', 'rand.safetensors', '--strategies', STRATEGIES, '--out', 'again', '--no-png');
    expect(r.code, r.stderr).toBe(0);
    for (const line of `${r.stdout}${r.stderr}`.split('\n')) expect(columns(line), line).toBeLessThanOrEqual(100);
    expect(r.stderr.trim().split('\n').every((l) => l.endsWith('(cached)'))).toBe(true);
    expect(r.stdout).toContain('Full table: again/report.md');
    expect(r.stdout).toContain('Certificates: again/certificates (4 of 4)');
  });
});
