import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../../checker/check.js';
import { checkExpTable, expLowerHolds, expUpperHolds, type ExpTableStep } from '../../../checker/rules/exp-table.js';
import { CheckError } from '../../../checker/errors.js';
import type { StepContext } from '../../../checker/context.js';
import type { ExactModel } from '../../../checker/model.js';
import { MAX_WORK } from '../../../checker/limits.js';
import { Ops } from '../../../checker/ops.js';
import { bruteForceCertificate, encode, tinyModel } from '../helpers.js';

const D = Decimal.clone({ precision: 300 });
/** floor and ceil of 2^F·e^(−p/q), from decimal.js at 300 digits. */
function tight(p: bigint, q: bigint, F: number): { lo: bigint; hi: bigint } {
  const v = new D(p.toString()).div(q.toString()).neg().exp().mul(new D(2).pow(F));
  return { lo: BigInt(v.floor().toFixed(0)), hi: BigInt(v.ceil().toFixed(0)) };
}

describe('exp enclosure tests (lo ≤ 2^F·e^−y, hi ≥ 2^F·e^−y)', () => {
  const ops = new Ops();
  it('known values: e^−1 at F = 64', () => {
    // 2^64/e = 6786177901268885274.9…
    const y = { p: 1n, q: 1n };
    expect(expLowerHolds(6786177901268885274n, y, 64, ops)).toBe(true);
    expect(expLowerHolds(6786177901268885275n, y, 64, ops)).toBe(false);
    expect(expUpperHolds(6786177901268885275n, y, 64, ops)).toBe(true);
    expect(expUpperHolds(6786177901268885274n, y, 64, ops)).toBe(false);
  });

  it('y = 0: exactly 2^F', () => {
    const y = { p: 0n, q: 1n };
    expect(expLowerHolds(1n << 40n, y, 40, ops) && expUpperHolds(1n << 40n, y, 40, ops)).toBe(true);
    expect(expLowerHolds((1n << 40n) + 1n, y, 40, ops)).toBe(false);
    expect(expUpperHolds((1n << 40n) - 1n, y, 40, ops)).toBe(false);
  });

  it('large exponents: only lo = 0 holds, hi = 1 holds', () => {
    const y = { p: 10n ** 9n, q: 1n };
    expect(expLowerHolds(0n, y, 64, ops)).toBe(true);
    expect(expLowerHolds(1n, y, 64, ops)).toBe(false);
    expect(expUpperHolds(1n, y, 64, ops)).toBe(true);
    expect(expUpperHolds(0n, y, 64, ops)).toBe(false);
  });

  it('accepts the tightest true enclosure and rejects any enclosure that excludes the true value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 7n }), fc.bigInt({ min: 1n, max: 10n ** 5n }), fc.integer({ min: 0, max: 192 }), (p, q, F) => {
        const { lo, hi } = tight(p, q, F);
        const y = { p, q };
        expect(expLowerHolds(lo, y, F, ops)).toBe(true);
        expect(expUpperHolds(hi, y, F, ops)).toBe(true);
        // e^−y·2^F is irrational for y > 0, so lo + 1 and hi − 1 lie on the wrong side of it.
        expect(expLowerHolds(hi + (p === 0n ? 1n : 0n), y, F, ops)).toBe(false);
        if (lo > 0n) expect(expUpperHolds(lo - (p === 0n ? 1n : 0n), y, F, ops)).toBe(false);
      }),
      { numRuns: 300, seed: 20261124 },
    );
  });
});

describe('exp-table step', () => {
  const t = tinyModel('solver', 3, 4, 1);
  type Table = { shift: number[]; lo: string[][]; hi: string[][]; fracBits: number; scale: string; source: string };
  const check = async (f: (expE: Table, expP: Table) => void) => {
    const cert = bruteForceCertificate(t, 0n);
    f(cert.evidence.steps[1] as never, cert.evidence.steps[2] as never);
    const v = await checkCertificate(encode(cert), t.bytes);
    return v.verified ? 'verified' : `${v.error.step} ${v.error.rule}: ${v.error.message}`;
  };

  it('accepts the helper tables', async () => {
    expect(await check(() => {})).toBe('verified');
  });

  it('rejects a lo above the true value and a hi below it', async () => {
    expect(await check((e) => { e.lo[1][0] = e.hi[1][0] = (BigInt(e.hi[1][0]) + 2n).toString(); })).toMatch(/expE exp-table: EQKE\[1\]\[0\]: claimed lo/);
    expect(await check((_, p) => { p.hi[2][0] = p.lo[2][0] = (BigInt(p.lo[2][0]) * 99n / 100n).toString(); })).toMatch(/expP exp-table: EQKP\[2\]\[0\]: claimed hi/);
  });

  it('rejects a shift column that is not a row maximum, lo > hi, wrong shapes and limits', async () => {
    expect(await check((e) => {
      const s = (e.shift[0] + 1) % 4;
      e.shift[0] = s;
      e.lo[0][s] = e.hi[0][s] = (1n << 40n).toString();
    })).toMatch(/exceeds the shift column/);
    expect(await check((e) => { [e.lo[0][1], e.hi[0][1]] = [e.hi[0][1], (BigInt(e.lo[0][1]) - 1n).toString()]; })).toMatch(/lo .* > hi/);
    expect(await check((e) => { e.lo.pop(); })).toMatch(/must be 4×4/);
    expect(await check((e) => { e.shift.push(0); })).toMatch(/shift must list/);
    expect(await check((e) => { e.fracBits = 100000; })).toMatch(/exceeds the limit/);
    expect(await check((e) => { e.lo[0][0] = '1'.repeat(300); })).toMatch(/lo\/0\/0 must NOT have more than 256 characters/);
  });

  it('rejects tables cited under the wrong source or kind', async () => {
    expect(await check((e) => { e.source = 'EQKP'; })).toMatch(/must be 4×3|shift must list|exceeds/);
    expect(await check((e, p) => { e.source = 'EQKP'; p.source = 'EQKE'; e.shift = p.shift; [e.lo, p.lo, e.hi, p.hi] = [p.lo, e.lo, p.hi, e.hi]; })).not.toBe('verified');
    expect(await check((e) => { e.scale = 'expP'; })).toMatch(/reference: scale cites "expP", which is not an earlier step/);
    expect(await check((e) => { e.scale = 'count'; })).toMatch(/reference/);
  });
});

describe('exp-table work bound (issue 11 finding 2)', () => {
  // A model at the shape limits whose path matrices must never be formed: reading EQKE or EQKP throws.
  const untouchable = { vocab: 1024, k: 2, dModel: 1024, dHead: 1024 } as ExactModel;
  for (const p of ['EQKE', 'EQKP', 'EU', 'EVOU', 'PVOU']) Object.defineProperty(untouchable, p, { get: () => { throw new Error(`${p} formed`); } });
  const ctx = (workLimit = MAX_WORK): StepContext => ({
    model: untouchable,
    claim: { modelSha256: '', task: 'max-of-k', k: 2, vocab: 1024, strategy: 'cubic', correct: '0', total: '1048576' },
    work: { limit: workLimit, used: 0 }, ops: new Ops(), step: 'expE', margin: 0n,
    resolve: () => ({ lo: { p: 1n, q: 32n }, hi: { p: 1n, q: 32n } }) as never,
  });
  const step = (source: 'EQKE' | 'EQKP', rows: number, cols: number): ExpTableStep => ({
    id: 'expE', kind: 'exp-table', scale: 'scale', source, fracBits: 8, shift: new Array<number>(rows).fill(0),
    lo: Array.from({ length: rows }, () => new Array<string>(cols).fill('0')), hi: Array.from({ length: rows }, () => new Array<string>(cols).fill('256')),
  });
  const outcome = (s: ExpTableStep, c: StepContext) => {
    try { checkExpTable(s, c); return 'ok'; } catch (e) { return e instanceof CheckError ? `${e.undecided ? 'undecided' : 'rejected'}: ${e.message}` : `thrown: ${(e as Error).message}`; }
  };
  it('checks the table shapes against the model before forming EQKE or EQKP', () => {
    expect(outcome(step('EQKE', 1, 1), ctx())).toMatch(/^rejected: shift must list 1024/);
    expect(outcome(step('EQKP', 1024, 3), ctx())).toMatch(/^rejected: lo and hi must be 1024×2/);
  });
  it('refuses, not decided, a well-shaped table whose estimated work exceeds the limit, before forming EQKE', () => {
    expect(outcome(step('EQKE', 1024, 1024), ctx())).toMatch(/^undecided: an exp table over EQKE needs about .* above the work limit/);
    expect(outcome(step('EQKP', 1024, 2), ctx(1000))).toMatch(/^undecided: an exp table over EQKP needs/);
  });
});
