import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forwardLastPosition } from '../../src/model/forward.js';
import { parseModel, serializeModel, type Model } from '../../src/model/model.js';
import { randomModel, solverModel, withRandomBiases } from '../model/random-model.js';
import {
  FLOAT32_SETTINGS,
  Float32Summer,
  allSequences,
  emulatedCount,
  float32Correct,
  float32Logits,
  fmaF32,
  minEmulatedCount,
  nextFloat32Down,
  nextFloat32Up,
  roundDyadicToFloat32,
  settingLabel,
  type Float32Weights,
} from './emulate.js';
import { NEAR_TIE_VARIANTS, float32Above, nearTieModel } from './near-tie-models.js';

const F32_MAX = Math.fround(3.4028234663852886e38);

/**
 * An independent fused a·b + c for float32 a, b, c: the product is exact in double (two 24-bit significands,
 * exponents ≥ −298), TwoSum gives p + c = s + err exactly, and Math.fround(s) is the single rounding of s + err unless
 * s lies exactly halfway between two float32s, where err's sign picks the side.
 */
function referenceFma(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const t = s - p;
  const err = (p - (s - t)) + (c - t);
  const r = Math.fround(s);
  if (err === 0 || r === s) return r;
  const lo = r < s ? r : nextFloat32Down(r);
  const hi = nextFloat32Up(lo);
  if (s !== (lo + hi) / 2) return r;
  return err > 0 ? hi : lo;
}

/**
 * Exact logits of a model with uniform attention (W_Q = W_K = 0): every float32 is an integer multiple of 2^-149
 * and a_p = 1/K exactly, so K·2^596·logit is an integer; returned as those integers (a common positive scale).
 */
function exactScaledLogits(model: Float32Weights, tokens: number[]): bigint[] {
  const { k: K, vocab: V, dModel: d, dHead: h } = model.config;
  const n = (x: number) => BigInt(x * 2 ** 149); // x·2^149, an integer
  const zero = (len: number) => new Float32Array(len);
  const { bV, bO, bU } = model.biases ?? { bV: zero(h), bO: zero(d), bU: zero(V) };
  const Kn = BigInt(K);
  const x = tokens.map((t, p) => Array.from({ length: d }, (_, i) => n(model.WE[t * d + i]) + n(model.Wpos[p * d + i]))); // ·2^149
  const Kz = Array.from({ length: h }, (_, j) => {
    let s = 0n; // K·z_j·2^298 = Σ_p v_{p,j}·2^298
    for (const xp of x) {
      s += n(bV[j]) << 149n;
      for (let i = 0; i < d; i++) s += xp[i] * n(model.WV[i * h + j]);
    }
    return s;
  });
  const Kr = Array.from({ length: d }, (_, i) => {
    let s = Kn * ((x[K - 1][i] + n(bO[i])) << 298n); // K·r_i·2^447
    for (let j = 0; j < h; j++) s += Kz[j] * n(model.WO[j * d + i]);
    return s;
  });
  return Array.from({ length: V }, (_, c) => {
    let s = Kn * (n(bU[c]) << 447n); // K·logit_c·2^596
    for (let i = 0; i < d; i++) s += Kr[i] * n(model.WU[i * V + c]);
    return s;
  });
}

/** The exact margin of max(tokens) over the best other logit, relative to the largest |logit|. */
function exactMargin(model: Float32Weights, tokens: number[]): number {
  const L = exactScaledLogits(model, tokens);
  const m = Math.max(...tokens);
  let gap: bigint | null = null;
  let mag = 0n;
  for (let x = 0; x < L.length; x++) {
    const abs = L[x] < 0n ? -L[x] : L[x];
    if (abs > mag) mag = abs;
    if (x !== m && (gap === null || L[m] - L[x] < gap)) gap = L[m] - L[x];
  }
  return mag === 0n ? 0 : Number((gap! << 80n) / mag) / 2 ** 80;
}

function isUniformAttention(model: Float32Weights): boolean {
  return model.WQ.every((w) => w === 0) && model.WK.every((w) => w === 0);
}

describe('fmaF32 (one rounding of the exact a·b + c)', () => {
  it('differs from rounding through double where double rounding lands on a float32 tie', () => {
    // a·b = 1 − 2^-46 exactly; + (2^24 + 2) is 2^24 + 3 − 2^-46, below the float32 midpoint 2^24 + 3: rounds down.
    // Through double it becomes 2^24 + 3 (the midpoint), which ties to even, 2^24 + 4.
    const [a, b, c] = [1 + 2 ** -23, 1 - 2 ** -23, 2 ** 24 + 2];
    expect(fmaF32(a, b, c)).toBe(2 ** 24 + 2);
    expect(Math.fround(a * b + c)).toBe(2 ** 24 + 4);
    // The same among subnormals: 259·2^-149 + 2^-150(1 − 2^-46) is just below 259.5·2^-149.
    const [s, t, u] = [2 ** -75 * (1 + 2 ** -23), 2 ** -75 * (1 - 2 ** -23), 259 * 2 ** -149];
    expect(fmaF32(s, t, u)).toBe(259 * 2 ** -149);
    expect(Math.fround(s * t + u)).toBe(260 * 2 ** -149);
  });

  it('rounds subnormal results on the 2^-149 grid, ties to even, keeping the sign of zero', () => {
    expect(Object.is(fmaF32(2 ** -75, 2 ** -75, 0), 0)).toBe(true); // 2^-150: half the least subnormal, ties to 0
    expect(Object.is(fmaF32(-(2 ** -75), 2 ** -75, 0), -0)).toBe(true);
    expect(fmaF32(2 ** -75 * (1 + 2 ** -23), 2 ** -75, 0)).toBe(2 ** -149); // just above the tie
    expect(fmaF32(3 * 2 ** -76, 2 ** -75, 0)).toBe(2 ** -149); // 0.75·2^-149
    expect(fmaF32(3 * 2 ** -75, 2 ** -75, 0)).toBe(2 * 2 ** -149); // 1.5·2^-149 ties to the even 2
    expect(fmaF32(5 * 2 ** -100, 2 ** -49, 0)).toBe(5 * 2 ** -149); // exact
    expect(fmaF32(2 ** -63, 2 ** -63, -(2 ** -126 + 2 ** -149))).toBe(-(2 ** -149)); // cancellation below 2^-126
    expect(Object.is(fmaF32(1, 1, -1), 0)).toBe(true);
    expect(Object.is(fmaF32(-0, 1, -0), -0)).toBe(true);
  });

  it('overflows to infinity at 2^128 and not below', () => {
    expect(fmaF32(2 ** 127, 2, 0)).toBe(Infinity);
    expect(fmaF32(F32_MAX, 1, 2 ** 103)).toBe(Infinity); // the midpoint to 2^128 ties away from the odd maximum
    expect(fmaF32(F32_MAX, -1, -(2 ** 103 - 2 ** 80))).toBe(-F32_MAX);
  });

  it('agrees with a TwoSum reference on random float32 triples, cancellation and subnormals included', () => {
    const f = fc.float({ noNaN: true, min: -(2 ** 60), max: 2 ** 60 });
    const nearNegProduct = fc.tuple(f, f, fc.integer({ min: -3, max: 3 })).map(([a, b, steps]) => {
      let c = -Math.fround(a * b);
      for (let i = 0; i < Math.abs(steps); i++) c = steps > 0 ? nextFloat32Up(c) : nextFloat32Down(c);
      return [a, b, c] as const;
    });
    fc.assert(
      fc.property(fc.oneof(fc.tuple(f, f, f), nearNegProduct), ([a, b, c]) => {
        expect(Object.is(fmaF32(a, b, c), referenceFma(a, b, c))).toBe(true);
      }),
      { seed: 20250701, numRuns: 3000 },
    );
  });

  it('rounds c + (half a spacing of c, less 2^-47 of it) back to c, where double rounding would tie to even', () => {
    // c = M·2^e (M < 2^23 only with e = −149, so 2^e is c's spacing); a·b = ±2^(e−1)(1 − 2^-46).
    const arb = fc.record({ e: fc.integer({ min: -149, max: 100 }), M: fc.integer({ min: 1, max: 2 ** 24 - 1 }), sign: fc.constantFrom(1, -1) });
    fc.assert(
      fc.property(arb, ({ e, M, sign }) => {
        if (M < 2 ** 23) e = -149;
        const i = Math.floor((e - 1) / 2);
        const [a, b, c] = [(1 + 2 ** -23) * 2 ** i, sign * (1 - 2 ** -23) * 2 ** (e - 1 - i), M * 2 ** e];
        expect(fmaF32(a, b, c)).toBe(c);
        expect(referenceFma(a, b, c)).toBe(c);
        // Through double, the residue 2^(e-47) is lost once M has more than 7 bits, and an odd M ties away from c.
        if (M % 2 === 1 && M >= 2 ** 7) expect(Math.fround(a * b + c)).not.toBe(c);
      }),
      { seed: 20250702, numRuns: 500 },
    );
  });

  it('roundDyadicToFloat32 and float32Above agree with Math.fround where that is exact', () => {
    expect(roundDyadicToFloat32(3n, -1)).toBe(1.5);
    expect(roundDyadicToFloat32((1n << 24n) + 1n, 0)).toBe(2 ** 24); // tie to even
    expect(roundDyadicToFloat32(-((1n << 24n) + 3n), 0)).toBe(-(2 ** 24 + 4));
    expect(float32Above(1n, 3n)).toBe(Math.fround(1 / 3)); // fround(1/3) rounds up
    expect(float32Above(2n, 3n)).toBe(Math.fround(2 / 3));
    expect(float32Above(1n, 1n)).toBe(1 + 2 ** -23);
    expect(float32Above(-1n, 10n)).toBe(nextFloat32Up(Math.fround(-0.1))); // fround(−0.1) is below −1/10
  });

  it('nextFloat32Up/Down step one float32', () => {
    expect(nextFloat32Up(1)).toBe(1 + 2 ** -23);
    expect(nextFloat32Down(1)).toBe(1 - 2 ** -24);
    expect(nextFloat32Up(0)).toBe(2 ** -149);
    expect(nextFloat32Down(0)).toBe(-(2 ** -149));
    expect(nextFloat32Up(-(2 ** -149))).toBe(-0);
    expect(nextFloat32Up(F32_MAX)).toBe(Infinity);
  });
});

describe('Float32Summer (the order of a sum)', () => {
  const tiny = 2 ** -24; // half the float32 spacing at 1

  it('forward, reverse and pairwise round differently', () => {
    const terms = [1, tiny, tiny, tiny];
    expect(new Float32Summer('forward', false).sum(terms)).toBe(1); // each tiny ties back to 1
    expect(new Float32Summer('reverse', false).sum(terms)).toBe(1 + 2 ** -22); // 3·2^-24 + 1 rounds up
    expect(new Float32Summer('pairwise', false).sum(terms)).toBe(1 + 2 ** -23); // (1 + tiny) + (tiny + tiny)
  });

  it('a seeded random order is fixed per seed and varies across seeds', () => {
    const terms = [1, tiny, tiny];
    const bySeed = Array.from({ length: 20 }, (_, seed) => new Float32Summer({ random: seed }, false).sum(terms));
    expect(new Set(bySeed)).toEqual(new Set([1, 1 + 2 ** -23]));
    expect(Array.from({ length: 20 }, (_, seed) => new Float32Summer({ random: seed }, false).sum(terms))).toEqual(bySeed);
  });

  it('with fma, a product is fused into the addition that consumes it', () => {
    const terms = [[1 + 2 ** -23, 1 - 2 ** -23], 2 ** 24 + 2] as const;
    expect(new Float32Summer('forward', true).sum(terms)).toBe(2 ** 24 + 2);
    expect(new Float32Summer('forward', false).sum(terms)).toBe(2 ** 24 + 4); // fl(a·b) = 1, then 2^24 + 3 ties up
  });

  it('some logit of a random model has different bits in forward and reverse order', () => {
    const model = randomModel({ k: 3, vocab: 4, dModel: 4, dHead: 4 }, 7);
    const differs = [...allSequences(4, 3)].some((t) => {
      const f = float32Logits(model, t, { order: 'forward', fma: false });
      const r = float32Logits(model, t, { order: 'reverse', fma: false });
      return f.some((v, i) => v !== r[i]);
    });
    expect(differs).toBe(true);
  });
});

describe('float32Logits agrees with the float64 forward pass', () => {
  const models: [string, Omit<Model, 'sha256'>][] = [
    ['random K=3 V=4 d=4 h=3', randomModel({ k: 3, vocab: 4, dModel: 4, dHead: 3 }, 11)],
    ['random with biases K=2 V=5 d=3 h=2', withRandomBiases(randomModel({ k: 2, vocab: 5, dModel: 3, dHead: 2 }, 12), 12)],
    ['solver K=3 V=4', solverModel(3, 4, 13)],
  ];

  it.each(models)('%s: every sequence, every setting, within 1e-5 of the largest logit', (_, model) => {
    const { k: K, vocab: V } = model.config;
    const sequences = [...allSequences(V, K)];
    const reference = forwardLastPosition({ ...model, sha256: '' }, sequences.flat(), sequences.length);
    for (const setting of FLOAT32_SETTINGS) {
      sequences.forEach((t, n) => {
        const logits = float32Logits(model, t, setting);
        const ref = reference.subarray(n * V, (n + 1) * V);
        const scale = Math.max(1, ...ref.map(Math.abs));
        for (let x = 0; x < V; x++) expect(Math.abs(logits[x] - ref[x]), settingLabel(setting)).toBeLessThanOrEqual(1e-5 * scale);
      });
    }
  });

  it('float32Correct needs a strict win: ties and NaN are wrong', () => {
    expect(float32Correct([0, 1, 2], [2, 1])).toBe(true);
    expect(float32Correct([0, 2, 2], [2, 1])).toBe(false);
    expect(float32Correct([NaN, 1, 2], [2, 1])).toBe(false);
    expect(float32Correct([0, 1, NaN], [2, 1])).toBe(false);
  });
});

describe('near-tie models', () => {
  /** Per variant: the exact count and the emulated count in every setting (computed once, shared by the tests). */
  const memo = new Map<number, { exact: number; counts: number[] }>();
  const countsOf = (variant: number) => {
    if (!memo.has(variant)) {
      const model = nearTieModel(variant);
      const sequences = [...allSequences(model.config.vocab, model.config.k)];
      const exact = sequences.filter((t) => exactMargin(model, t) > 0).length;
      memo.set(variant, { exact, counts: FLOAT32_SETTINGS.map((s) => emulatedCount(model, s)) });
    }
    return memo.get(variant)!;
  };

  it.each(NEAR_TIE_VARIANTS.map((v) => [v]))('variant %i: exact beats float32 in some setting, only on near ties', (variant) => {
    const model = nearTieModel(variant);
    expect(isUniformAttention(model)).toBe(true);
    // The model survives the safetensors round trip (later tests read it from disk), biases included.
    const parsed = parseModel(serializeModel(model));
    expect(parsed.biases?.bU).toEqual(model.biases!.bU);
    const { k: K, vocab: V, dModel: d } = model.config;
    expect(V <= 6 && K <= 3 && d <= 6).toBe(true);
    const sequences = [...allSequences(V, K)];
    const margins = sequences.map((t) => exactMargin(model, t));
    // The near ties: exactly right by a relative margin between 2^-27 and 2^-22.
    expect(margins.some((m) => m > 2 ** -27 && m < 2 ** -22)).toBe(true);
    const { exact, counts } = countsOf(variant);
    const worst = Math.min(...counts);
    expect(worst).toBeLessThan(exact);
    // Where float32 (in a worst setting) and exact arithmetic disagree, the exact margin is tiny.
    const setting = FLOAT32_SETTINGS[counts.indexOf(worst)];
    sequences.forEach((t, n) => {
      const right = float32Correct(float32Logits(model, t, setting), t);
      if (right !== margins[n] > 0) expect(Math.abs(margins[n])).toBeLessThan(2 ** -20);
    });
  });

  it('variant 0: forward order loses the 5 sequences with max 2; reverse and pairwise keep them', () => {
    const model = nearTieModel(0);
    expect(countsOf(0).exact).toBe(16);
    expect(emulatedCount(model, { order: 'forward', fma: false })).toBe(11);
    expect(emulatedCount(model, { order: 'reverse', fma: false })).toBe(16);
    expect(emulatedCount(model, { order: 'pairwise', fma: true })).toBe(16);
    const worst = minEmulatedCount(model);
    expect(worst.count).toBe(11);
    expect(worst.setting).toBe(FLOAT32_SETTINGS[0]); // the first setting attaining it: forward
  });

  it('the counts per setting (settings as rows, variants as columns)', () => {
    const columns = NEAR_TIE_VARIANTS.map((v) => {
      const { vocab: V, k: K, dModel: d } = nearTieModel(v).config;
      return [`variant ${v} (V=${V} K=${K} d=${d})`, countsOf(v)] as const;
    });
    const row = (pick: (c: { exact: number; counts: number[] }) => number) => Object.fromEntries(columns.map(([name, c]) => [name, pick(c)]));
    console.table({ exact: row((c) => c.exact), ...Object.fromEntries(FLOAT32_SETTINGS.map((s, i) => [settingLabel(s), row((c) => c.counts[i])])) });
    for (const [, c] of columns) expect(Math.min(...c.counts)).toBeLessThan(c.exact);
  });
});
