/**
 * Issue 11 findings 2 and 6 through the real CLI (`node bin/mechcert-check.js`): work is bounded before it is done
 * (an unbounded scale enclosure, a tiny certificate about an in-limit 25 MB model, --max-work), and a relabelled
 * subcubic certificate is rejected. Exit codes and rules are asserted here; times and memory are in the report.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bigModel, hugeScale } from './work-hostile.js';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mechcert-work-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, data: string | Uint8Array) => { const p = join(dir, name); writeFileSync(p, data); return p; };

interface Run { code: number; out: string }
const cli = (args: string[]): Promise<Run> => new Promise((resolve) => {
  execFile(process.execPath, [join(root, 'bin/mechcert-check.js'), ...args, '--json'], { timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
    resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr });
  });
});
const verdict = (r: Run) => JSON.parse(r.out) as { status: string; error?: { step: string | null; rule: string; message: string } };

describe('work bounded before it is done (issue 11 finding 2)', () => {
  it('an inv-sqrt-scale hi of 10^150 (true, far too wide) stops not decided at the scale step', async () => {
    const { cert, model } = hugeScale();
    const r = await cli([file('huge.json', cert), '--model', file('small.safetensors', model)]);
    expect(r.code, r.out).toBe(3);
    expect(verdict(r)).toMatchObject({ status: 'undecided', error: { step: 'scale', rule: 'inv-sqrt-scale' } });
  });

  it('a tiny certificate about a 25 MB in-limit model is refused on its table shapes, before EQKE is formed', async () => {
    const { cert, model } = bigModel();
    const r = await cli([file('big.json', cert), '--model', file('big.safetensors', model)]);
    expect(r.code, r.out).toBe(1);
    expect(verdict(r)).toMatchObject({ status: 'rejected', error: { step: 'expE', rule: 'exp-table', message: expect.stringMatching(/shift must list 1024/) } });
  }, 120_000);

  it('--max-work below a step\'s estimate stops not decided at that step; the default verifies', async () => {
    const cert = join(root, 'certificates/max4-v64-s50.subcubic.json');
    const model = join(root, 'models/max4-v64-s50.safetensors');
    const low = await cli([cert, '--model', model, '--max-work', String(2 ** 20)]);
    expect(low.code, low.out).toBe(3);
    expect(verdict(low)).toMatchObject({ status: 'undecided', error: { message: expect.stringMatching(/above the work limit 1048576/) } });
    expect((await cli([cert, '--model', model])).code).toBe(0);
  });
});

describe('what is printed is what was verified (issue 11 finding 6)', () => {
  it('a committed subcubic certificate relabelled as another variant is rejected by subcubic-count', async () => {
    const c = JSON.parse(readFileSync(join(root, 'certificates/max4-v64-s50.subcubic.json'), 'utf8')) as { claim: { strategy: string } };
    const real = c.claim.strategy;
    c.claim.strategy = 'subcubic/max_diff/drop_average_query_per_output_logit_reasoning/svd';
    const r = await cli([file('relabelled.json', JSON.stringify(c)), '--model', join(root, 'models/max4-v64-s50.safetensors')]);
    expect(r.code, r.out).toBe(1);
    expect(verdict(r)).toMatchObject({ status: 'rejected', error: { step: 'count', rule: 'subcubic-count', message: expect.stringContaining(`(${real})`) } });
  });
});
