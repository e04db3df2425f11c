/**
 * mechcert/prefix-output through the built CLIs (bin/mechcert.js, bin/mechcert-check.js) on a tiny solver model
 * (V = 6, K = 3) written to a temporary folder: the prover writes a mechcert/1.2 certificate that the checker verifies
 * with N* = the claim, and a copy with its output case read in the decoupled form is refused, exit 1, by rule
 * prefix-count naming the case.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeModel } from '../../src/model/model.js';
import { solverModel } from '../model/random-model.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mechcert-prefix-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (bin: string, args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin', bin), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

interface Cert { format: string; claim: { correct: string; strategy: string }; evidence: { steps: { kind: string; cases?: { q: number; m: number; c: number; top?: number; out?: number }[] }[] } }

describe('mechcert prove --strategy mechcert/prefix-output', () => {
  const model = join(dir, 'solver-k3-v6.safetensors');
  writeModel(model, solverModel(3, 6, 11));
  const out = join(dir, 'prefix-output.json');

  it('proves, and mechcert-check --json verifies the count; with one output case made decoupled it exits 1, rule prefix-count', () => {
    const proved = run('mechcert.js', ['prove', model, '--strategy', 'mechcert/prefix-output', '--out', out]);
    expect(proved.code, proved.stderr).toBe(0);
    const cert = JSON.parse(readFileSync(out, 'utf8')) as Cert;
    expect([cert.format, cert.claim.strategy]).toEqual(['mechcert/1.2', 'mechcert/prefix-output']);
    expect(proved.stdout).toContain(`claim: correct ≥ ${cert.claim.correct} of 216 sequences`);

    const checked = run('mechcert-check.js', [out, '--model', model, '--json']);
    expect(checked.code, checked.stdout).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ status: 'verified', verified: true, counted: cert.claim.correct, strategy: 'mechcert/prefix-output' });

    // The prover uses the output form only where the decoupled form fails: without `out` that case's sum is not below 0.
    const cases = cert.evidence.steps.at(-1)!.cases!;
    const i = cases.findIndex((cs) => cs.out !== undefined);
    const { q, m, c, top } = cases[i];
    cases[i] = top === undefined ? { q, m, c } : { q, m, c, top };
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(cert));
    const refused = run('mechcert-check.js', [tampered, '--model', model, '--json']);
    expect(refused.code).toBe(1);
    const v = JSON.parse(refused.stdout) as { status: string; error: { step: string; rule: string; message: string } };
    expect(v.status).toBe('rejected');
    expect(v.error).toMatchObject({ step: 'count', rule: 'prefix-count' });
    expect(v.error.message).toContain(`case (q=${q}, m=${m}, c=${c}${top === undefined ? '' : `, top=${top}`}): the decoupled sum`);
  });
});
