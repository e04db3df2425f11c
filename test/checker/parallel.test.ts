/**
 * Parallel brute-force and cubic checking (checker/parallel.ts): the verdict with worker threads is the same as the
 * single-threaded reference path (`threads: 1`), for certificates that verify and for ones that are rejected.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCertificate, type Verdict } from '../../checker/check.js';

const root = join(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures');
const models = new Map<string, Uint8Array>();
for (const dir of [join(fixtures, 'models'), join(root, 'models')]) {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.safetensors'))) {
    const b = readFileSync(join(dir, f));
    models.set(createHash('sha256').update(b).digest('hex'), b);
  }
}
const modelOf = (cert: Uint8Array): Uint8Array =>
  models.get((JSON.parse(new TextDecoder().decode(cert)) as { claim: { modelSha256: string } }).claim.modelSha256) ?? models.values().next().value!;
/** The verdict without the fields that may legitimately differ (none today; kept explicit). */
const essence = (v: Verdict) => JSON.stringify(v);

const ofKind = (dir: string, kind: string, prefix = '') => readdirSync(join(fixtures, dir))
  .filter((f) => f.startsWith(prefix) && f.endsWith('.json') && readFileSync(join(fixtures, dir, f), 'utf8').includes(`"${kind}"`))
  .map((f) => join(fixtures, dir, f));
const bruteForce = (dir: string) => ofKind(dir, 'brute-force-count');

describe('parallel brute-force checking', () => {
  for (const path of [...bruteForce('pass'), ...bruteForce('fail')]) {
    it(`${path.slice(fixtures.length + 1)}: threads 3 gives the verdict of threads 1`, async () => {
      const cert = readFileSync(path);
      const model = modelOf(cert);
      const one = await checkCertificate(cert, model, { threads: 1 });
      const three = await checkCertificate(cert, model, { threads: 3 });
      expect(essence(three)).toBe(essence(one));
    }, 30_000);
  }

  it('a committed V = 64 brute-force certificate: same verdict, count and operation count with 2 threads', async () => {
    const cert = readFileSync(join(root, 'certificates/max4-v64-s50.brute-force.json'));
    const model = modelOf(cert);
    const one = await checkCertificate(cert, model, { threads: 1 });
    const two = await checkCertificate(cert, model, { threads: 2 });
    expect(one.verified).toBe(true);
    expect(essence(two)).toBe(essence(one));
  }, 60_000);
});

describe('parallel cubic checking', () => {
  const cubic = [...ofKind('pass', 'cubic-count', 'prover-'), ...ofKind('fail', 'cubic-count', 'prover-')];
  it('covers accepted and rejected prover fixtures', () => {
    expect(cubic.filter((p) => p.includes('/pass/')).length).toBeGreaterThan(0);
    expect(cubic.filter((p) => p.includes('/fail/')).length).toBeGreaterThan(5);
  });

  for (const path of cubic) {
    it(`${path.slice(fixtures.length + 1)}: threads 2 gives the verdict of threads 1`, async () => {
      const cert = readFileSync(path);
      const model = modelOf(cert);
      const one = await checkCertificate(cert, model, { threads: 1 });
      const two = await checkCertificate(cert, model, { threads: 2 });
      expect(two).toEqual(one);
    }, 30_000);
  }

  it('the committed s123 cubic certificate: same verdict, count and operation count with 2 threads', async () => {
    const cert = readFileSync(join(root, 'certificates/max4-v64-s123.cubic.json'));
    const model = readFileSync(join(root, 'models/max4-v64-s123.safetensors'));
    const one = await checkCertificate(cert, model, { threads: 1 });
    const two = await checkCertificate(cert, model, { threads: 2 });
    expect(one.verified).toBe(true);
    expect(two).toEqual(one);
  }, 60_000);

  it('a failing case deep in the s123 cubic certificate: same step, rule, message and operation count', async () => {
    const json = JSON.parse(readFileSync(join(root, 'certificates/max4-v64-s123.cubic.json'), 'utf8')) as
      { evidence: { steps: { kind: string; cases?: { m: number; bound: string }[] }[] } };
    const cases = json.evidence.steps.find((s) => s.kind === 'cubic-count')!.cases!;
    // Tighten two bounds, on different maxima, to a value no case meets: the first in the reference order is reported.
    for (const i of [cases.length - 1, Math.floor(cases.length / 3)]) cases[i].bound = '-1000000000';
    const cert = new TextEncoder().encode(JSON.stringify(json));
    const model = readFileSync(join(root, 'models/max4-v64-s123.safetensors'));
    const one = await checkCertificate(cert, model, { threads: 1 });
    const two = await checkCertificate(cert, model, { threads: 2 });
    expect(one.verified).toBe(false);
    expect(!one.verified && one.error.rule).toBe('cubic-count');
    expect(two).toEqual(one);
  }, 60_000);
});
