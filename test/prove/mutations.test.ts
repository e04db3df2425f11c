/**
 * Mutation tests: every mutation of a valid prover certificate that claims more, or breaks its evidence, is
 * rejected by the checker (test/prove/mutants.ts builds only mutants that are certainly wrong). Models: a fixed
 * sample of the property-test models with something to count. Prints the kill figures per mutation kind.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import { bruteForceCertificate } from '../../src/prove/brute-force.js';
import { canonicalJson } from '../../src/prove/certificate.js';
import { cubicCertificate } from '../../src/prove/cubic.js';
import { exactQK } from '../../src/prove/exact.js';
import { buildModel, tinySpecArb } from './models.js';
import { boundKey, commonMutants, cubicMutants, expMutants, type BoundTable, type Mutant } from './mutants.js';

const SEED = 20240612;
const MODELS = Number(process.env.MECHCERT_MUTATION_MODELS ?? 60);

const bytesOf = (cert: unknown) => new TextEncoder().encode(canonicalJson(cert));

describe('mutations that claim more are rejected', () => {
  it('cubic and brute-force certificates of random tiny models', async () => {
    const specs = fc.sample(tinySpecArb, { seed: SEED, numRuns: MODELS * 3 });
    const tally = new Map<string, { made: number; rejected: number }>();
    const survivors: string[] = [];
    let models = 0;
    for (const spec of specs) {
      if (models >= MODELS) break;
      const { model, bytes } = buildModel(spec);
      const bounds: BoundTable = new Map();
      const decoupled: BoundTable = new Map();
      const cubic = cubicCertificate(model, {}, () => {}, (q, m, c, k, L, D) => {
        bounds.set(boundKey(q, m, c, k), L);
        if (D !== undefined) decoupled.set(boundKey(q, m, c, k), D);
      });
      if (cubic.certificate.claim.correct === '0') continue;
      models++;
      const qk = exactQK(model);
      const bf = await bruteForceCertificate(model, { threads: 1 });
      const mutants: Mutant[] = [
        ...[...commonMutants(cubic.certificate), ...expMutants(cubic.certificate, qk)].map((m) => ({ ...m, name: `cubic/${m.name}` })),
        ...cubicMutants(cubic.certificate, qk, bounds, Number(cubic.figures.tolerance), decoupled).map((m) => ({ ...m, name: `cubic/${m.name}` })),
        ...[...commonMutants(bf.certificate), ...expMutants(bf.certificate, qk)].map((m) => ({ ...m, name: `brute-force/${m.name}` })),
      ];
      for (const mutant of mutants) {
        const v = await checkCertificate(bytesOf(mutant.cert), bytes);
        const t = tally.get(mutant.name) ?? { made: 0, rejected: 0 };
        t.made++;
        if (!v.verified) t.rejected++;
        else survivors.push(`${mutant.name} on ${JSON.stringify(spec)}`);
        tally.set(mutant.name, t);
      }
    }
    const rows = [...tally].sort(([a], [b]) => a.localeCompare(b));
    const made = rows.reduce((s, [, t]) => s + t.made, 0);
    const rejected = rows.reduce((s, [, t]) => s + t.rejected, 0);
    console.log(`mutation kill rate: ${rejected}/${made} over ${models} models\n${rows.map(([n, t]) => `  ${n}: ${t.rejected}/${t.made}`).join('\n')}`);
    expect(survivors).toEqual([]);
    expect(models).toBeGreaterThanOrEqual(Math.min(MODELS, 10));
    // Every kind of cubic mutant was exercised at least once.
    for (const name of ['good-bit-added', 'bound-tightened', 'position-order-altered', 'EQKE-enclosure-above-truth', 'EQKE-enclosure-below-truth', 'joint-bit-added', 'joint-bit-removed']) {
      expect(tally.get(`cubic/${name}`)?.made ?? 0).toBeGreaterThan(0);
    }
  });
});
