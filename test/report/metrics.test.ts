import { describe, expect, it } from 'vitest';
import { floorDecimal, normalize, unexplainedDimension } from '../../src/report/metrics.js';
import { canonicalGroup, PAPER_SEEDS } from '../../src/report/paper.js';
import { meanStd, summarizeGroups } from '../../src/report/summary.js';
import { toCsv } from '../../src/report/tables.js';
import { syntheticRow } from './synthetic.js';

describe('unexplained dimension (docs/paper.md §6.2, V=64, d=32, K=4)', () => {
  const ud = (s: string) => unexplainedDimension(s, 4, 64, 32);
  it('brute force V^{K+1} and cubic 3V²+2KV', () => {
    expect(ud('brute-force')).toBe(2 ** 30);
    expect(ud('cubic')).toBe(12_800);
  });
  it("reproduces the ends of the paper's per-group ranges", () => {
    // subcubic 4418–8384
    expect(ud('subcubic/global_max_diff_exact/mean_query+diff/max_diff_exact')).toBe(4418);
    expect(ud('subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact')).toBe(8384);
    // attention-V·d² 4290–4544
    expect(ud('subcubic/global_max_diff_exact/mean_query+diff/svd')).toBe(4290);
    expect(ud('subcubic/max_diff_exact/mean_query+diff/mean+max_diff_subproduct')).toBe(4544);
    // direct-quadratic 6466–10370
    expect(ud('subcubic/max_diff/mean_query+diff/max_diff_exact')).toBe(6466);
    expect(ud('subcubic/mean_query+max_diff/mean_query+diff/exact_EQKE+max_diff_exact')).toBe(10_370);
    // attention-quadratic 4354–4544
    expect(ud('subcubic/global_max_diff_exact/mean_query+diff/max_diff_subproduct_recursive')).toBe(4354);
    expect(ud('subcubic/max_diff_exact/mean_query+diff/mean_recursive+max_diff_subproduct_recursive')).toBe(4544);
  });
  it('is null where the paper does not define it', () => {
    expect(ud('something-else')).toBeNull();
    expect(ud('subcubic/unknown/mean_query+diff/svd')).toBeNull();
  });
});

describe('exact bounds and normalization', () => {
  it('floorDecimal rounds down', () => {
    expect(floorDecimal(2n, 3n, 4)).toBe('0.6666');
    expect(floorDecimal(1n, 1n, 3)).toBe('1.000');
    expect(floorDecimal(0n, 7n, 2)).toBe('0.00');
  });

  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  const rows = [
    syntheticRow({ sha: a, label: 'a', seed: 1, k: 2, vocab: 4, strategy: 'brute-force', group: 'brute force', correct: 12n, ops: 1000 }),
    syntheticRow({ sha: a, label: 'a', seed: 1, k: 2, vocab: 4, strategy: 'cubic', group: 'cubic', correct: 9n, ops: 100 }),
    syntheticRow({ sha: b, label: 'b', seed: 2, k: 2, vocab: 4, strategy: 'cubic', group: 'cubic', correct: 8n, ops: 100 }),
    syntheticRow({ sha: b, label: 'b', seed: 2, k: 2, vocab: 4, strategy: 'brute-force', group: 'brute force', correct: 16n, ops: 1000, verified: false }),
  ];

  it('divides by the checked brute-force bound where there is one, else by the labelled estimate', () => {
    const out = normalize(rows, () => ({ value: 0.5, source: 'float exhaustive count (not checked)', fraction: null, interval: null }));
    expect(out[1].normalizedBound).toBeCloseTo(9 / 12);
    expect(out[1].trueAccuracySource).toBe('checked brute force');
    // Model b's brute force was rejected: it is not used as the normalizer.
    expect(out[2].trueAccuracySource).toBe('float exhaustive count (not checked)');
    expect(out[2].normalizedBound).toBeCloseTo(0.5 / 0.5);
    expect(out[3].boundValue).toBe(0);
  });

  it("summarizes each group over models with the best per model, beside the paper's figures", () => {
    const g = summarizeGroups(normalize(rows, () => ({ value: 1, source: 'float exhaustive count (not checked)', fraction: null, interval: null })));
    const cubic = g.find((x) => x.group === 'cubic');
    expect(cubic?.models).toBe(2);
    expect(cubic?.normalizedBound.mean).toBeCloseTo((0.75 + 0.5) / 2);
    expect(g.find((x) => x.group === 'brute force')?.failures).toBe(1);
    expect(cubic?.paper).toBeNull(); // no published figures for K=2, V=4
  });
});

describe('helpers', () => {
  it('mean ± sample std', () => {
    const m = meanStd([1, 2, 3, 4]);
    expect(m.mean).toBe(2.5);
    expect(m.std).toBeCloseTo(Math.sqrt(5 / 3));
  });
  it('maps registry group spellings to the paper labels', () => {
    expect(canonicalGroup('Brute Force')).toBe('brute force');
    expect(canonicalGroup('attention-V·d² + direct-quadratic')).toBe('attention-V·d², direct-quadratic');
    expect(canonicalGroup('attention-Vd^2')).toBe('attention-V·d²');
    expect(canonicalGroup('new family')).toBe('new family');
  });
  it("has the paper's 151 seeds", () => {
    expect(PAPER_SEEDS).toHaveLength(151);
    expect(new Set(PAPER_SEEDS).size).toBe(151);
    expect(PAPER_SEEDS.slice(0, 3)).toEqual([50, 104, 123]);
  });
  it('quotes CSV cells', () => {
    expect(toCsv(['a', 'b'], [['x,y', 'say "hi"']])).toBe('a,b\n"x,y","say ""hi"""\n');
  });
});
