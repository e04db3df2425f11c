import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng, SplitMix64 } from '../../src/train/rng.js';

describe('SplitMix64', () => {
  it('matches the published sequence for seed 1234567', () => {
    // Rosetta Code, "Pseudo-random numbers/Splitmix64".
    const sm = new SplitMix64(1234567n);
    const got = Array.from({ length: 5 }, () => sm.next());
    expect(got).toEqual([6457827717110365317n, 3203168211198807973n, 9817491932198370423n, 4593380528125082431n, 16408922859458223821n]);
  });
});

describe('Rng (xoshiro128**)', () => {
  it('matches a transcription of the reference C code, seeded by SplitMix64(0)', () => {
    // Computed with Python integers from https://prng.di.unimi.it/xoshiro128starstar.c and splitmix64.c.
    const r = new Rng(0n);
    expect(Array.from({ length: 4 }, () => r.nextU32())).toEqual([3737715805, 2584255861, 2876756834, 3286328325]);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const draw = (seed: bigint) => {
      const r = new Rng(seed);
      return [r.nextU32(), r.uniformInt(64), r.uniform(), r.normal(), r.normal()];
    };
    expect(draw(123n)).toEqual(draw(123n));
    expect(draw(123n)).not.toEqual(draw(124n));
  });

  it('uniformInt stays in range and hits every value about equally often', () => {
    const r = new Rng(7n);
    const n = 10;
    const counts = new Array<number>(n).fill(0);
    const draws = 100_000;
    let outOfRange = 0;
    for (let i = 0; i < draws; i++) {
      const x = r.uniformInt(n);
      if (Number.isInteger(x) && x >= 0 && x < n) counts[x]++;
      else outOfRange++;
    }
    expect(outOfRange).toBe(0);
    // Each count is Binomial(1e5, 0.1): std ≈ 95, so ±600 is over 6 standard deviations.
    for (const c of counts) expect(Math.abs(c - draws / n)).toBeLessThan(600);
  });

  it('normal() has mean 0 and variance 1', () => {
    const r = new Rng(11n);
    const draws = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < draws; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    // Standard errors: mean ≈ 0.0022, variance ≈ 0.0032.
    expect(Math.abs(s / draws)).toBeLessThan(0.015);
    expect(Math.abs(s2 / draws - 1)).toBeLessThan(0.02);
  });

  it('deriveSeed gives distinct 64-bit seeds per label', () => {
    const a = deriveSeed(123n, 'dataset_seed');
    expect(a).toBe(deriveSeed(123n, 'dataset_seed'));
    expect(a).not.toBe(deriveSeed(123n, 'train'));
    expect(a).not.toBe(deriveSeed(124n, 'dataset_seed'));
    expect(a >= 0n && a < 1n << 64n).toBe(true);
  });
});
