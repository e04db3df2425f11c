/**
 * Parallel brute-force and cubic checking (checker/parallel.ts): the verdict with worker threads is the same as the
 * single-threaded reference path (`threads: 1`), for certificates that verify and for ones that are rejected.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCertificate, type Verdict } from '../../checker/check.js';
import type { StepContext } from '../../checker/context.js';
import { Ops } from '../../checker/ops.js';
import { collectBruteForce, collectCubic, record, type Piece } from '../../checker/parallel.js';
import type { BruteForceData } from '../../checker/rules/brute-force-count.js';
import type { CubicData, CubicItem } from '../../checker/rules/cubic-count.js';

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

describe('parallel coverage checks can fail', () => {
  const ctx = () => ({ step: 'count', ops: new Ops() }) as unknown as StepContext;
  const bf = { V: 3, K: 2 } as BruteForceData;
  /** A consistent set of brute-force pieces for V = 3, K = 2: max m covers (m+1)^2 − m^2 sequences. */
  const bfPieces = () => new Map<number, Piece>([0, 1, 2].map((m) => [m, { id: m, ops: 1, good: 0n, visited: BigInt(2 * m + 1) }]));

  it('brute force: a missing max, an extra piece, or visited counts not summing to V^K', () => {
    expect(collectBruteForce(bfPieces(), bf, ctx())).toBe(0n);
    const missing = bfPieces();
    missing.delete(1);
    expect(() => collectBruteForce(missing, bf, ctx())).toThrow(/coverage: max 1 was not checked/);
    const extra = bfPieces().set(7, { id: 7, ops: 0, good: 0n, visited: 0n });
    expect(() => collectBruteForce(extra, bf, ctx())).toThrow(/coverage: 4 pieces for 3 maxima/);
    const short = bfPieces();
    short.get(2)!.visited = 4n;
    expect(() => collectBruteForce(short, bf, ctx())).toThrow(/coverage: visited 8 sequences, expected V\^K = 9/);
  });

  it('a piece reported twice', () => {
    const pieces = new Map<number, Piece>();
    record(pieces, { id: 0, ops: 0 }, { step: 'count', rule: 'brute-force-count' });
    expect(() => record(pieces, { id: 0, ops: 0 }, { step: 'count', rule: 'brute-force-count' })).toThrow(/coverage: piece 0 checked twice/);
  });

  it('cubic: a group not reported, an extra piece, a case missing from its group', () => {
    const item = (i: number) => ({ i, n: 1n }) as CubicItem;
    const d = { cases: 3, groups: [{ m: 1, items: [item(0), item(2)] }, { m: 2, items: [item(1)] }] } as CubicData;
    const pieces = () => new Map<number, Piece>([[0, { id: 0, ops: 0, cases: [0, 2] }], [1, { id: 1, ops: 0, cases: [1] }]]);
    expect(collectCubic(pieces(), d, ctx())).toBe(3n);
    const missing = pieces();
    missing.delete(1);
    expect(() => collectCubic(missing, d, ctx())).toThrow(/coverage: the cases with max 2 was not checked/);
    expect(() => collectCubic(pieces().set(5, { id: 5, ops: 0, cases: [] }), d, ctx())).toThrow(/coverage: 3 pieces for 2 maxima/);
    const dropped = pieces();
    dropped.get(0)!.cases = [0];
    expect(() => collectCubic(dropped, d, ctx())).toThrow(/coverage: 2 of 3 cases verified/);
    const swapped = pieces();
    swapped.get(0)!.cases = [0, 1];
    expect(() => collectCubic(swapped, d, ctx())).toThrow(/coverage: case 1 is not one with max 1/);
  });
});
