/**
 * Claims about the deployed float32 computation (SPEC §1.1) through the real CLIs: `mechcert prove --semantics float32`
 * writes a mechcert/1.1 certificate that `mechcert-check` verifies and prints with its semantics; what may not pass
 * (a 1.0 format carrying semantics, ulp bounds out of range, the shipped exact brute-force certificate relabelled as
 * float32) is refused with the step, the rule and the numbers; bad flags exit 2 in one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeModel } from '../../src/model/model.js';
import { solverModel } from '../model/random-model.js';

const dir = mkdtempSync(join(tmpdir(), 'mechcert-float32-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = join(dir, 'solver.safetensors');
writeFileSync(model, serializeModel(solverModel(3, 6, 11)));

const node = (script: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const prove = (strategy: string, out: string, ...flags: string[]) => node('bin/mechcert.js', 'prove', model, '--strategy', strategy, '--out', out, ...flags);
const check = (cert: string, ...flags: string[]) => node('bin/mechcert-check.js', cert, '--model', model, ...flags);
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { format: string; claim: Record<string, unknown> };
const write = (name: string, cert: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(cert));
  return path;
};

describe('float32 claims through the CLI', () => {
  const exact = join(dir, 'bf-exact.json');
  const f32 = join(dir, 'bf-float32.json');
  it('prove --semantics float32 writes a 1.1 claim that mechcert-check verifies and names', () => {
    expect(prove('brute-force', exact).code).toBe(0);
    const p = prove('brute-force', f32, '--semantics', 'float32');
    expect(p.code, p.err).toBe(0);
    expect(p.out).toMatch(/float32 claim: counted only where the exact logit gaps beat the rounding margin ε ≤ \d/);
    const cert = json(f32);
    expect(cert.format).toBe('mechcert/1.1');
    expect(cert.claim.semantics).toEqual({ kind: 'float32', expUlps: '2', divUlps: '1', sqrtUlps: '0.5' });
    expect(BigInt(cert.claim.correct as string)).toBeLessThanOrEqual(BigInt(json(exact).claim.correct as string));

    const text = check(f32);
    expect(text.code, text.out).toBe(0);
    expect(text.out).toMatch(/^semantics: {3}float32 as deployed \(any summation order, with or without FMA; exp ≤ 2 ulp, division ≤ 1 ulp, sqrt ≤ 0\.5 ulp; rounding margin ε ≤ 0\.\d{12}\)$/m);
    expect(text.out).toMatch(/^cite: .* as executed in float32 \(exp ≤ 2 ulp, division ≤ 1 ulp, sqrt ≤ 0\.5 ulp\)/m);
    const verdict = JSON.parse(check(f32, '--json').out) as { status: string; semantics: string; float32Margin: string };
    expect(verdict).toMatchObject({ status: 'verified', semantics: 'float32' });
    expect(Number(verdict.float32Margin)).toBeGreaterThan(0);
    expect(JSON.parse(check(exact, '--json').out)).toMatchObject({ status: 'verified', semantics: 'exact' });
    expect(check(exact).out).toContain('semantics:   exact real arithmetic on the float32 weights');
  });

  it('every strategy family proves float32 claims the checker accepts, none above its exact claim', () => {
    for (const strategy of ['cubic', 'subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact']) {
      const [e, f] = [join(dir, 'e.json'), join(dir, 'f.json')];
      expect(prove(strategy, e).code).toBe(0);
      expect(prove(strategy, f, '--semantics', 'float32', '--ulps', '4,2,1').code).toBe(0);
      expect(json(f).claim.semantics).toEqual({ kind: 'float32', expUlps: '4', divUlps: '2', sqrtUlps: '1' });
      expect(check(f).code, `${strategy}: ${check(f).out}`).toBe(0);
      expect(BigInt(json(f).claim.correct as string)).toBeLessThanOrEqual(BigInt(json(e).claim.correct as string));
    }
  });

  it('a claim with semantics in a mechcert/1 certificate is refused by rule format', () => {
    const r = check(write('old-format.json', { ...json(f32), format: 'mechcert/1' }));
    expect(r.code).toBe(1);
    expect(r.out).toContain('rule:        format');
    expect(r.out).toContain('claim.semantics needs format mechcert/1.1');
  });

  it('ulp bounds outside [0, 2^20] are refused by rule float32-margin', () => {
    const cert = json(f32);
    for (const expUlps of ['1048577', '-1']) {
      const r = check(write('ulps.json', { ...cert, claim: { ...cert.claim, semantics: { ...(cert.claim.semantics as object), expUlps } } }));
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(/rule: {8}(float32-margin|schema)/);
    }
  });

  it('the shipped seed-123 brute-force certificate relabelled as float32 fails: the margin costs 338 sequences', () => {
    const shipped = JSON.parse(readFileSync('certificates/max4-v64-s123.brute-force.json', 'utf8')) as { claim: Record<string, unknown> };
    expect(shipped.claim.correct).toBe('16769030');
    const relabelled = write('relabelled.json', { ...shipped, format: 'mechcert/1.1', claim: { ...shipped.claim, semantics: json(f32).claim.semantics } });
    const r = node('bin/mechcert-check.js', relabelled, '--model', 'models/max4-v64-s123.safetensors');
    expect(r.code).toBe(1);
    expect(r.out).toContain('rule:        count');
    expect(r.out).toContain('claimed correct 16769030 exceeds the 16768692 sequences proved');
  });

  it('bad --semantics and --ulps flags exit 2 with one line', () => {
    for (const flags of [['--semantics', 'float16'], ['--semantics', 'float32', '--ulps', '2,1'], ['--semantics', 'float32', '--ulps', 'a,b,c'], ['--ulps', '2,1,0.5']]) {
      const r = prove('cubic', join(dir, 'never.json'), ...flags);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/--semantics|--ulps/);
    }
  });
});
