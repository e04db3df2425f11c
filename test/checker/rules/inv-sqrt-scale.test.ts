import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkInvSqrtScale } from '../../../checker/rules/inv-sqrt-scale.js';
import { CheckError } from '../../../checker/errors.js';
import type { StepContext } from '../../../checker/context.js';
import type { ExactModel } from '../../../checker/model.js';
import { Ops } from '../../../checker/ops.js';
import { MAX_WORK } from '../../../checker/limits.js';

const ctx = (dHead: number): StepContext => ({
  model: { dHead } as ExactModel,
  claim: { modelSha256: '', task: 'max-of-k', k: 2, vocab: 2, strategy: 'cubic', correct: '0', total: '4' },
  work: { limit: MAX_WORK, used: 0 },
  margin: 0n,
  ops: new Ops(),
  step: 'scale',
  resolve: () => {
    throw new Error('inv-sqrt-scale cites nothing');
  },
});
const run = (dHead: number, lo: string, hi: string) => {
  try {
    checkInvSqrtScale({ id: 'scale', kind: 'inv-sqrt-scale', dHead, lo, hi }, ctx(dHead));
    return 'ok';
  } catch (e) {
    if (e instanceof CheckError) return e.message;
    throw e;
  }
};

describe('inv-sqrt-scale', () => {
  it('accepts true enclosures of 1/sqrt(32) and exact values for perfect squares', () => {
    expect(run(32, '0.1767766952966368', '0.1767766952966369')).toBe('ok');
    expect(run(32, '176776695/1000000000', '17677670/100000000')).toBe('ok');
    expect(run(16, '1/4', '0.25')).toBe('ok');
    expect(run(1, '1', '1')).toBe('ok');
  });

  it('rejects enclosures that miss the value, are empty, non-positive or malformed', () => {
    expect(run(32, '0.1767766952966369', '0.17677669529664')).toMatch(/lo .* is above/);
    expect(run(32, '0.17677669529663', '0.1767766952966368')).toMatch(/hi .* is below/);
    expect(run(32, '0.2', '0.1')).toMatch(/0 < lo ≤ hi/);
    expect(run(32, '0', '1')).toMatch(/0 < lo ≤ hi/);
    expect(run(32, '-1/2', '1')).toMatch(/0 < lo ≤ hi/);
    expect(run(32, '1e-3', '1')).toMatch(/not a rational/);
    expect(run(32, `0.${'1'.repeat(300)}`, '1')).toMatch(/not a rational/);
  });

  it('refuses a true enclosure wider than hi ≤ 2·lo as not decided, and still rejects a false one', () => {
    const undecided = (lo: string, hi: string) => {
      try {
        checkInvSqrtScale({ id: 'scale', kind: 'inv-sqrt-scale', dHead: 32, lo, hi }, ctx(32));
        return 'ok';
      } catch (e) {
        return e instanceof CheckError ? (e.undecided ? 'undecided' : 'rejected') : 'thrown';
      }
    };
    expect(undecided('0.17', `1${'0'.repeat(150)}`)).toBe('undecided'); // issue 11 finding 2: r_hi = 10^150
    expect(undecided('0.08', '0.17677669529664')).toBe('undecided'); // hi = 2.2·lo
    expect(undecided('0.09', '0.18')).toBe('ok'); // hi = 2·lo exactly
    expect(undecided('0.18', `1${'0'.repeat(150)}`)).toBe('rejected'); // false (lo above r) before too wide
    expect(undecided('0.01', '0.1')).toBe('rejected'); // false (hi below r)
  });

  it("rejects a dHead other than the model's", () => {
    expect(() => checkInvSqrtScale({ id: 'scale', kind: 'inv-sqrt-scale', dHead: 16, lo: '1/4', hi: '1/4' }, ctx(32))).toThrow(/differs/);
  });

  it('decides exactly: lo = floor(10^n/sqrt(d))/10^n passes, one unit more fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 40 }), (d, n) => {
        // floor(10^n / sqrt(d)) = isqrt(10^(2n) / d) computed by bisection on BigInt.
        const target = 10n ** BigInt(2 * n);
        let [a, b] = [0n, 10n ** BigInt(n) + 1n];
        while (b - a > 1n) {
          const mid = (a + b) / 2n;
          if (mid * mid * BigInt(d) <= target) a = mid;
          else b = mid;
        }
        const dec = (x: bigint) => `${x}/${10n ** BigInt(n)}`;
        if (a > 0n) expect(run(d, dec(a), dec(a + 1n))).toBe('ok');
        if (a * a * BigInt(d) !== target) expect(run(d, dec(a + 1n), dec(a + 1n))).toMatch(/is above/);
      }),
      { numRuns: 200, seed: 20261124 },
    );
  });
});
