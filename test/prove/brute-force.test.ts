import { describe, expect, it } from 'vitest';
import { pathTables } from '../../src/model/paths.js';
import { attentionTables } from '../../src/prove/attention.js';
import { exactDecider, scanAll } from '../../src/prove/brute-force.js';
import type { KernelInput } from '../../src/prove/brute-force-kernel.js';
import { buildModel } from './models.js';

function kernelInput(spec: Parameters<typeof buildModel>[0], F: number) {
  const { model } = buildModel(spec);
  const att = attentionTables(model, F);
  const T = pathTables(model);
  const S = [T.EU, T.EVOU, T.PVOU].reduce((s, a) => s + a.reduce((m, x) => Math.max(m, Math.abs(x)), 0), 0);
  const input: KernelInput = {
    V: T.vocab, K: T.k, EU: T.EU, EVOU: T.EVOU, PVOU: T.PVOU,
    eElo: att.expE.loF, eEhi: att.expE.hiF, ePlo: att.expP.loF, ePhi: att.expP.hiF, tau: 1e-9 * (1 + S), cmax: 2 * S,
  };
  return { model, att, input };
}

describe('brute-force prover', () => {
  it('worker threads and the inline scan give the same tally', async () => {
    const { input } = kernelInput({ kind: 'solver', vocab: 7, k: 4, dModel: 7, dHead: 4, seed: 3, scale: 0.1 }, 128);
    const inline = await scanAll(input, 1, () => {});
    const workers = await scanAll(input, 3, () => {}, 0);
    expect(workers).toEqual(inline);
    expect(inline.certain + inline.near.length).toBeGreaterThan(0);
  });

  it('the float pass never contradicts the exact rule on the sequences it decides', async () => {
    for (const [kind, seed] of [['normal', 1], ['solver', 2], ['integer', 3], ['zero-attention', 4]] as const) {
      const { model, att, input } = kernelInput({ kind, vocab: 5, k: 3, dModel: 5, dHead: 2, seed, scale: 1 }, 128);
      const decide = exactDecider(model, att);
      const tally = await scanAll(input, 1, () => {});
      const undecided = new Set(tally.near);
      let exactCount = 0;
      for (let i = 0; i < 125; i++) if (decide(i)) exactCount++;
      let undecidedCounted = 0;
      for (const i of undecided) if (decide(i)) undecidedCounted++;
      expect(tally.certain + undecidedCounted).toBe(exactCount);
    }
  });
});
