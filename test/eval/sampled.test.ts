import { describe, expect, it } from 'vitest';
import { evaluateExhaustive } from '../../src/eval/exhaustive.js';
import { evaluateSampled, wilsonInterval } from '../../src/eval/sampled.js';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { randomModel, solverModel } from '../model/random-model.js';

describe('wilsonInterval', () => {
  it('matches known 95% intervals', () => {
    const half = wilsonInterval(5, 10);
    expect(half.lower).toBeCloseTo(0.2366, 4);
    expect(half.upper).toBeCloseTo(0.7634, 4);
    expect(wilsonInterval(0, 10).lower).toBe(0);
    expect(wilsonInterval(0, 10).upper).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(10, 10).upper).toBe(1);
    expect(wilsonInterval(10, 10).lower).toBeCloseTo(0.7225, 4);
  });
});

describe('evaluateSampled', () => {
  const model = parseModel(serializeModel(solverModel(4, 8, 7)));

  it("contains the exhaustive accuracy in its 95% interval for a tiny model", async () => {
    const exact = await evaluateExhaustive(model, { threads: 1 });
    expect(exact.accuracy).toBeGreaterThan(0.5);
    expect(exact.accuracy).toBeLessThan(0.95);
    const est = await evaluateSampled(model, { samples: 20_000, seed: 5n, threads: 1 });
    expect(est.samples).toBe(20_000);
    expect(est.accuracy).toBe(est.correct / est.samples);
    expect(est.interval.lower).toBeLessThanOrEqual(exact.accuracy);
    expect(est.interval.upper).toBeGreaterThanOrEqual(exact.accuracy);
    expect(est.interval.upper - est.interval.lower).toBeLessThan(0.02);
    expect(est.interval).toMatchObject({ confidence: 0.95, kind: 'Wilson score' });
  });

  it('depends on the seed alone, not on the thread count', async () => {
    const small = parseModel(serializeModel(randomModel({ k: 3, vocab: 5, dModel: 4, dHead: 4 }, 2, 1)));
    const opts = { samples: 150_000, seed: 12n };
    const one = await evaluateSampled(small, { ...opts, threads: 1 });
    const two = await evaluateSampled(small, { ...opts, threads: 2 });
    expect(two).toEqual(one);
    const other = await evaluateSampled(small, { ...opts, seed: 13n, threads: 1 });
    expect(other.correct).not.toBe(one.correct);
  });
});
