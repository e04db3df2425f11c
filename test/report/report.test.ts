/**
 * `writeReport` end to end on a tiny trained model with real strategies and the real checker: every file is written,
 * the SVGs and PNGs are real pictures, every certificate is in the folder with the command that re-checks it, and a
 * rerun takes every result from the cache.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex, writeModel } from '../../src/model/model.js';
import { writeReport, type ReportResult } from '../../src/report/report.js';
import { train } from '../../src/train/train.js';

const tmp = mkdtempSync(join(tmpdir(), 'mechcert-report-test-'));
const strategies = ['brute-force', 'cubic', 'subcubic/max_diff_exact/mean_query+diff/svd'];
let paths: string[] = [];
let first: ReportResult;
const logs: string[] = [];

beforeAll(async () => {
  paths = [5, 6].map((seed) => {
    const p = join(tmp, `tiny-s${seed}.safetensors`);
    writeModel(p, train({ k: 2, vocab: 4, seed, dModel: 8, dHead: 8, steps: 60, batch: 32, lr: 1e-2 }).model);
    return p;
  });
  first = await writeReport(paths, strategies, join(tmp, 'out'), { cacheDir: join(tmp, 'cache'), log: (l) => logs.push(l) });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('writeReport', () => {
  it('proves and checks every (model, strategy), normalized by the checked brute force', () => {
    expect(first.rows).toHaveLength(paths.length * strategies.length);
    for (const r of first.rows) {
      expect(r.verified, r.error ?? '').toBe(true);
      expect(r.trueAccuracySource).toBe('checked brute force');
      expect(r.normalizedBound).toBeGreaterThanOrEqual(0);
      expect(r.normalizedBound).toBeLessThanOrEqual(1);
      expect(BigInt(r.checkerOps ?? '0')).toBeGreaterThan(0n);
      expect(r.certificateGzipBytes).toBeLessThan(r.certificateBytes);
      expect(r.bound.decimal).toMatch(/^\d\.\d{10}$/);
    }
    expect(first.rows.find((r) => r.strategy === 'cubic')?.unexplainedDimension).toBe(3 * 16 + 2 * 2 * 4);
  });

  it('writes tables and pictures', () => {
    const out = join(tmp, 'out');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Per group, beside the paper');
    expect(md).toContain('| K=2, V=4 | cubic |');
    expect(readFileSync(join(out, 'rows.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + first.rows.length);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).rows).toHaveLength(first.rows.length);
    for (const name of ['frontier', 'groups', 'eqke-tiny-s5', 'eqke-tiny-s6']) {
      expect(readFileSync(join(out, `${name}.svg`), 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(readFileSync(join(out, `${name}.png`)).subarray(1, 4).toString()).toBe('PNG');
    }
    // The frontier plots one mark per checked proof, labelled with the checker's units.
    expect(readFileSync(join(out, 'frontier.svg'), 'utf8')).toContain('checker arithmetic operations');
  });

  it('holds every certificate it reports, the one the checker hashed, with the command that re-checks it', () => {
    const out = join(tmp, 'out');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Certificates');
    for (const r of first.rows) {
      expect(r.certificateFile).toBe(`certificates/${r.modelLabel}/${r.strategy}.json.gz`);
      const json = gunzipSync(readFileSync(join(out, r.certificateFile!)));
      expect(createHash('sha256').update(json).digest('hex')).toBe(r.certificateSha256);
      expect(md).toContain(`\`npx mechcert-check ${r.certificateFile} --model models/${r.modelLabel}.safetensors\``);
    }
    for (const [i, p] of paths.entries()) expect(sha256Hex(readFileSync(join(out, 'models', `tiny-s${5 + i}.safetensors`)))).toBe(sha256Hex(readFileSync(p)));
    // The command as report.md gives it, run in the report folder (the checker's bin in place of npx's lookup).
    const [, cert, model] = /`npx mechcert-check (\S+) --model (\S+)`/.exec(md.slice(md.indexOf('subcubic/max_diff_exact', md.indexOf('## Certificates'))))!;
    const check = spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/mechcert-check.js', import.meta.url)), cert, '--model', model], { cwd: out, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^VERIFIED/);
  });

  it('reuses cached results on a rerun', async () => {
    logs.length = 0;
    const again = await writeReport(paths, strategies, join(tmp, 'out2'), { cacheDir: join(tmp, 'cache'), png: false, log: (l) => logs.push(l) });
    expect(logs.every((l) => l.endsWith('(cached)'))).toBe(true);
    const strip = (rs: ReportResult['rows']) => rs.map((r) => ({ ...r, proverSeconds: 0, checkerSeconds: 0 }));
    expect(strip(again.rows)).toEqual(strip(first.rows));
  });
});
