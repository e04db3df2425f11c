/** The report's rows for a proof its strategy refuses (brute force beyond 2^31 sequences), and its float normalizers. */
import { describe, expect, it } from 'vitest';
import { floatAccuracy, isNotRun, normalize, runProof } from '../../src/report/metrics.js';
import { summarizeGroups } from '../../src/report/summary.js';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { randomModel, solverModel } from '../model/random-model.js';
import { syntheticRow } from './synthetic.js';

describe('brute force beyond its reach in a report', () => {
  const bytes = serializeModel(randomModel({ k: 10, vocab: 64, dModel: 4, dHead: 4 }, 3));

  it('is recorded as not run, with the size and what to use instead, and counts in no group statistic', async () => {
    const { metrics } = await runProof(bytes, 'brute-force');
    expect(metrics.verified).toBe(false);
    expect(isNotRun(metrics)).toBe(true);
    expect(metrics.error).toMatch(/^not run: brute force enumerates at most 2\^31 = 2147483648 sequences, and V\^K = 64\^10 = 1152921504606846976: prove a bound with the cubic/);
    const cubic = syntheticRow({ sha: metrics.modelSha256, label: 'm', seed: 3, k: 10, vocab: 64, strategy: 'cubic', group: 'cubic', correct: 10n ** 18n, ops: 10 });
    const rows = normalize([metrics, cubic], () => ({ value: 0.99, source: 'stratified estimate (float, not checked)', fraction: null, interval: { lower: 0.98, upper: 1, confidence: 0.95, kind: 'normal, stratified variance' } }));
    expect(rows[1].trueAccuracySource).toBe('stratified estimate (float, not checked)');
    expect(rows[1].trueAccuracyInterval).toMatchObject({ lower: 0.98, upper: 1 });
    const groups = summarizeGroups(rows);
    const bruteForce = groups.find((g) => g.group === 'brute force');
    expect(bruteForce).toMatchObject({ models: 0, failures: 0, notRun: expect.stringMatching(/^1 not run: brute force enumerates at most 2\^31/) });
    expect(bruteForce?.normalizedBound.n).toBe(0);
    expect(groups.find((g) => g.group === 'cubic')).toMatchObject({ models: 1, failures: 0, notRun: null });
  });
});

describe('floatAccuracy', () => {
  it('counts every sequence up to 2^31 and says so', async () => {
    const model = parseModel(serializeModel(solverModel(4, 6, 3)));
    const t = await floatAccuracy(model);
    expect(t).toMatchObject({ source: 'float exhaustive count (not checked)', interval: null, fraction: expect.stringMatching(/^\d+\/1296$/) });
  });

  it('is the stratified estimate, with its interval, beyond 2^31', async () => {
    const model = parseModel(serializeModel(solverModel(12, 6, 1)));
    const t = await floatAccuracy(model);
    expect(t).toMatchObject({ source: 'stratified estimate (float, not checked)', fraction: null, interval: { confidence: 0.95 } });
    expect(t.interval?.lower).toBeLessThanOrEqual(t.value);
    expect(t.interval?.upper).toBeGreaterThanOrEqual(t.value);
  });
});
