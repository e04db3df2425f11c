/**
 * A small fixed-seed batch of the mutation harness (scripts/mutate.ts, `npm run mutate` for ≥ 10,000): every
 * over-claiming mutant of a prover-made certificate on tiny models is rejected, and no verified mutant claims more than
 * the float count of possibly-correct sequences; the prefix-count kinds run too.
 */
import { describe, expect, it } from 'vitest';
import { KINDS, loadBases, runMutants } from '../../scripts/mutate.js';

describe('mutation harness', () => {
  it('kills 100% of over-claiming mutants (fixed seed)', async () => {
    const bases = await loadBases();
    const tallies = await runMutants(bases, 3 * KINDS.length * 8, 7);
    let over = 0;
    for (const [kind, t] of tallies) {
      expect(t.killed, `${kind}: ${t.survivors.join('; ')}`).toBe(t.over);
      expect(t.unsound, kind).toBe(0);
      over += t.over;
    }
    expect(over).toBeGreaterThan(500);
    // prefix-count's own kinds (SPEC §4.7) found prefix bases to mutate.
    for (const kind of KINDS.filter((k) => k.startsWith('prefix-'))) expect(tallies.get(kind)!.total, kind).toBeGreaterThan(0);
  }, 120_000);
});
