import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cubicCertificate, encode, tinyModel } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mechcert-check-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t = tinyModel('solver', 3, 5, 2);
const { cert, count } = cubicCertificate(t);
const model = join(dir, 'model.safetensors');
const good = join(dir, 'good.json');
const goodGz = join(dir, 'good.json.gz');
const bad = join(dir, 'bad.json');
writeFileSync(model, t.bytes);
writeFileSync(good, encode(cert));
writeFileSync(goodGz, gzipSync(encode(cert)));
writeFileSync(bad, encode({ ...cert, claim: { ...cert.claim, correct: (count + 1n).toString() } }));

const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/mechcert-check.js', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('mechcert-check', () => {
  it('exit 0 and the claim, hashes, bound and ops on success', () => {
    const r = run(good, '--model', model);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^VERIFIED\n/);
    expect(r.out).toContain(`correct ≥ ${count} of 125 sequences`);
    expect(r.out).toContain(t.exact.sha256);
    expect(r.out).toMatch(/certificate: sha256 [0-9a-f]{64}/);
    expect(r.out).toMatch(/exact operations/);
  });

  it('reads .json.gz', () => {
    expect(run(goodGz, `--model=${model}`).code).toBe(0);
  });

  it('--json prints one object with the documented fields', () => {
    const r = run(good, '--model', model, '--json', '--threads', '1');
    expect(r.code).toBe(0);
    const v = JSON.parse(r.out);
    expect(v).toMatchObject({ verified: true, correct: count.toString(), total: '125', strategy: 'cubic', modelSha256: t.exact.sha256 });
    for (const key of ['bound', 'checkerOps', 'certificateBytes']) expect(v).toHaveProperty(key);
  });

  it('exit 1, NOT VERIFIED, the step, the rule, claimed vs proved on rejection', () => {
    const r = run(bad, '--model', model);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^NOT VERIFIED\n/);
    expect(r.out).toMatch(/step: +count/);
    expect(r.out).toMatch(/rule: +count/);
    expect(r.out).toContain(`claimed correct ${count + 1n} exceeds the ${count} sequences proved`);
    const j = run(bad, '--model', model, '--json');
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out)).toMatchObject({ verified: false, error: { step: 'count', rule: 'count' } });
  });

  it('exit 2 on usage and I/O errors, without a stack trace', () => {
    for (const args of [[], [good], ['--model', model], [good, '--model'], [good, '--model', model, '--frobnicate'],
      [good, '--model', model, '--threads', 'x'], [join(dir, 'missing.json'), '--model', model], [good, '--model', join(dir, 'missing')]]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^mechcert-check: /);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    expect(run('--help').code).toBe(0);
  });
});
