/** Brute force at its sizes, through bin/mechcert.js and bin/mechcert-check.js: the count, and the refusal beyond 2^31. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeModel } from '../../src/model/model.js';
import { randomModel, solverModel } from '../model/random-model.js';

const root = new URL('../..', import.meta.url).pathname;
const run = (bin: string, args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin', bin), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'mechcert-brute-force-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mechcert prove --strategy brute-force', () => {
  it('V=8, K=5: the exhaustive evaluation, the prover\'s claim and the checker\'s count agree', () => {
    const model = join(dir, 'max5-v8.safetensors');
    writeModel(model, solverModel(5, 8, 4, 0.05));
    const evaluated = run('mechcert.js', ['eval', model, '--json']);
    expect(evaluated.code).toBe(0);
    const { correct, total, method } = JSON.parse(evaluated.stdout) as { correct: string; total: string; method: string };
    expect({ method, total }).toEqual({ method: 'exhaustive', total: '32768' });
    expect(Number(correct)).toBeGreaterThan(16384);
    expect(Number(correct)).toBeLessThan(32768);
    const out = join(dir, 'max5-v8.brute-force.json');
    const proved = run('mechcert.js', ['prove', model, '--strategy', 'brute-force', '--out', out, '--threads', '2']);
    expect(proved.code).toBe(0);
    expect(proved.stdout).toContain(`claim: correct ≥ ${correct} of 32768 sequences`);
    const checked = run('mechcert-check.js', [out, '--model', model, '--json', '--threads', '2']);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ verified: true, correct, total: '32768' });
  });

  it('refuses V^K beyond 2^31 in one line with exit code 2, and writes nothing', () => {
    const model = join(dir, 'max10-v64.safetensors');
    writeModel(model, randomModel({ k: 10, vocab: 64, dModel: 4, dHead: 4 }, 3));
    const out = join(dir, 'max10.json');
    const r = run('mechcert.js', ['prove', model, '--strategy', 'brute-force', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'mechcert: brute force enumerates at most 2^31 = 2147483648 sequences, and V^K = 64^10 = 1152921504606846976: ' +
        'prove a bound with the cubic or a subcubic strategy instead, or estimate the accuracy with `mechcert eval` (stratified sampling)\n',
    );
    expect(existsSync(out)).toBe(false);
  });
});
