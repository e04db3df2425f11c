/**
 * The hostile model corpus (test/fixtures/hostile-models, written by test/fixtures/make-hostile-models.ts) through the
 * real CLIs: `mechcert eval` and `mechcert prove` refuse each `neg.*` model in one line with exit code 2, and
 * `mechcert-check` rejects a certificate naming it with exit code 1 and rule `model`; the V=7, K=4 control with the
 * causal lower-triangular mask is evaluated, proved and verified.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIR = join(ROOT, 'test/fixtures/hostile-models');
const CONTROL = join(DIR, 'mask-causal-k4-v7.safetensors');
const HIDES = join(DIR, 'neg.-.model.mask-hides-first-from-last.safetensors');
const tmp = mkdtempSync(join(tmpdir(), 'mechcert-hostile-models-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A certificate for the same weights (every corpus model has the control's weights), naming `model`'s SHA-256. */
const BASE = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/pass/checker-cubic-solver-k3-v5.json'), 'utf8'));

function run(bin: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

const certFor = (model: string, name: string): string => {
  const sha = createHash('sha256').update(readFileSync(model)).digest('hex');
  const path = join(tmp, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...BASE, claim: { ...BASE.claim, modelSha256: sha } }));
  return path;
};

describe.concurrent('hostile models through the CLIs', () => {
  it('the causal-mask control: eval, prove --strategy cubic, then mechcert-check verifies', async ({ expect }) => {
    const e = await run('bin/mechcert.js', ['eval', CONTROL]);
    expect([e.status, e.stderr]).toEqual([0, '']);
    const out = join(tmp, 'control.cubic.json');
    const p = await run('bin/mechcert.js', ['prove', '--strategy', 'cubic', '--threads', '1', '--out', out, CONTROL]);
    expect(p.status, p.stderr).toBe(0);
    const c = await run('bin/mechcert-check.js', [out, '--model', CONTROL]);
    expect(c.stdout).toMatch(/^VERIFIED\n/);
    expect(c.status).toBe(0);
  });

  it('the mask hiding position 0 from the last query: prove refuses it in one line, exit 2', async ({ expect }) => {
    const p = await run('bin/mechcert.js', ['prove', '--strategy', 'brute-force', '--threads', '1', '--out', join(tmp, 'x.json'), HIDES]);
    expect(p.stderr).toMatch(/^mechcert: [^\n]*hides key position\(s\) 0 from the last query[^\n]*\n$/);
    expect(p.status).toBe(2);
  });

  for (const f of readdirSync(DIR).filter((x) => x.startsWith('neg.') && x.endsWith('.safetensors'))) {
    it(f, async ({ expect }) => {
      const model = join(DIR, f);
      const [e, c] = await Promise.all([run('bin/mechcert.js', ['eval', model]), run('bin/mechcert-check.js', [certFor(model, f), '--model', model])]);
      expect(e.stdout).toBe('');
      expect(e.stderr).toMatch(/^mechcert: [^\n]+\n$/);
      expect(e.stderr).not.toMatch(/\n\s+at |Error:/);
      expect(e.status).toBe(2);
      expect(c.stdout).toMatch(/^NOT VERIFIED\n/);
      expect(c.stdout).toMatch(/\nrule: +model\n/);
      expect(c.status).toBe(1);
    });
  }
});
