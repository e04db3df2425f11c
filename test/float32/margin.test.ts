/**
 * Soundness of float32 claims (SPEC §1.1) against the independent float32 emulator (emulate.ts: Math.fround at every
 * operation, sums forward, reverse, pairwise and in seeded random orders, with and without an exact fused multiply-add,
 * exp rounded to nearest or one float32 up or down):
 *  - the checker's rounding margin ε bounds every emulated logit's distance to the model's logits (float64 stands in
 *    for the exact ones: its error is ~1e−15, far below ε) by ε/2, on every sequence, output and setting;
 *  - a checked float32 claim (brute force, cubic, subcubic) never exceeds the emulated count in any setting, on random
 *    tiny models (biases included) and on models built so that float32 gets near-ties wrong that exact arithmetic
 *    gets right;
 *  - on those near-tie models the exact claim does exceed the worst emulated count, and the float32 claim does not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import { CheckError } from '../../checker/errors.js';
import { float32MarginOf } from '../../checker/float32.js';
import { forwardLastPosition } from '../../src/model/forward.js';
import { parseModel, serializeModel, type Model } from '../../src/model/model.js';
import { certificateBytes } from '../../src/prove/certificate.js';
import { DEFAULT_FLOAT32, float32Target, withSemantics } from '../../src/prove/float32.js';
import { getStrategy } from '../../src/prove/registry.js';
import { silentProgress } from '../../src/prove/strategy.js';
import { buildModel, type TinySpec } from '../prove/models.js';
import { allSequences, FLOAT32_SETTINGS, float32Logits, minEmulatedCount, settingLabel } from './emulate.js';
import { NEAR_TIE_VARIANTS, nearTieModel } from './near-tie-models.js';

const SEED = 20261202;
const RUNS = Number(process.env.MECHCERT_PROPERTY_RUNS ?? 60);
const STRATEGIES = ['brute-force', 'cubic', 'subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact', 'subcubic/mean_query+max_diff/mean_query+diff/svd'];

/** Tiny models the emulator covers in all 30 settings quickly (V^K ≤ 125), with and without biases. */
const specArb: fc.Arbitrary<TinySpec> = fc.record({
  kind: fc.constantFrom<TinySpec['kind']>('normal', 'solver', 'solver', 'integer', 'zero-attention', 'large'),
  vocab: fc.integer({ min: 3, max: 5 }),
  k: fc.integer({ min: 2, max: 3 }),
  dModel: fc.integer({ min: 2, max: 6 }),
  dHead: fc.integer({ min: 1, max: 6 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  scale: fc.constantFrom(0.05, 0.3, 1, 3),
  biases: fc.constantFrom(0, 0, 0.3, 1),
});

/** ε as a float64 upper bound, or null when the checker does not decide it for this model (a bound over 1/2 or 2^64). */
function margin(bytes: Uint8Array): number | null {
  try {
    const { n, fracBits } = float32MarginOf(bytes, DEFAULT_FLOAT32);
    return (Number(n) / 2 ** fracBits) * (1 + 2 ** -50);
  } catch (e) {
    if (e instanceof CheckError && e.undecided && e.rule === 'float32-margin') return null;
    throw e;
  }
}

/** The checked count of each strategy's float32 claim. */
async function float32Counts(model: Model, bytes: Uint8Array): Promise<Map<string, bigint>> {
  const target = float32Target(model);
  const out = new Map<string, bigint>();
  for (const name of STRATEGIES) {
    const r = await getStrategy(name).then((s) => s!.prove(model, { threads: 1, float32: target }, silentProgress));
    const v = await checkCertificate(certificateBytes(withSemantics(r.certificate, target.semantics)), bytes);
    if (!v.verified) throw new Error(`${name} float32 certificate rejected: ${v.error.rule}: ${v.error.message}`);
    expect(v.float32Margin).toBeDefined();
    out.set(name, BigInt(v.counted));
  }
  return out;
}

describe('float32 claims against the float32 emulator', () => {
  it('ε/2 bounds |float32 logit − exact logit| on every sequence, output and setting', () => {
    let decided = 0;
    let runs = 0;
    fc.assert(
      fc.property(specArb, (spec) => {
        runs++;
        const { model, bytes } = buildModel(spec);
        const eps = margin(bytes);
        if (eps === null) return;
        decided++;
        const { k: K, vocab: V } = model.config;
        for (const tokens of allSequences(V, K)) {
          const exact = forwardLastPosition(model, tokens, 1);
          for (const opts of FLOAT32_SETTINGS) {
            const f = float32Logits(model, tokens, opts);
            for (let x = 0; x < V; x++) {
              const err = Math.abs(f[x] - exact[x]);
              if (!(err <= eps / 2)) throw new Error(`${settingLabel(opts)}, tokens ${tokens}, output ${x}: |${f[x]} − ${exact[x]}| = ${err} > ε/2 = ${eps / 2}`);
            }
          }
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Only models with huge weights (scores in the thousands) may be left undecided.
    console.log(`ε decided for ${decided} of ${runs} models`);
    expect(decided).toBeGreaterThanOrEqual(Math.ceil(runs / 2));
  }, 600_000);

  it('checked float32 claims never exceed the emulated count in any setting (random tiny models, biases included)', async () => {
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        const { model, bytes } = buildModel(spec);
        if (margin(bytes) === null) return;
        const { count: worst, setting } = minEmulatedCount(model);
        for (const [name, counted] of await float32Counts(model, bytes)) {
          if (counted > BigInt(worst)) throw new Error(`${name}: float32 claim ${counted} exceeds ${worst} emulated (${settingLabel(setting)})`);
        }
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  }, 600_000);

  it('near-tie models: the exact claim exceeds the worst emulated count, the float32 claims do not', async () => {
    const rows = [];
    for (const variant of NEAR_TIE_VARIANTS) {
      const bytes = serializeModel(nearTieModel(variant));
      const model = parseModel(bytes);
      const bf = await getStrategy('brute-force').then((s) => s!.prove(model, { threads: 1 }, silentProgress));
      const exact = await checkCertificate(certificateBytes(bf.certificate), bytes);
      if (!exact.verified) throw new Error(`exact brute force rejected: ${exact.error.message}`);
      const { count: worst, setting } = minEmulatedCount(model);
      const float32 = await float32Counts(model, bytes);
      rows.push({ variant, exact: exact.counted, worstEmulated: worst, setting: settingLabel(setting), ...Object.fromEntries([...float32].map(([n, c]) => [n.replace(/^subcubic\/.*\//, 'subcubic …/'), c])) });
      expect(BigInt(exact.counted)).toBeGreaterThan(BigInt(worst));
      for (const [name, counted] of float32) expect(counted, name).toBeLessThanOrEqual(BigInt(worst));
    }
    console.table(rows);
  }, 120_000);
});
