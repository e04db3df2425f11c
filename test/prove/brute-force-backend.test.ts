/**
 * The brute-force prover on a backend's scan (src/prove/brute-force.ts, kernel bruteForceScan):
 *  - a simulated float32 backend whose errors stay within half the band (the cpu kernel's listing at a random band
 *    between band/2 and 3·band/2 per sequence, values perturbed and rounded to float32) gives the CPU run's
 *    certificate byte for byte, and the same floatCorrect and undecided figures;
 *  - a corrupted scan (counts off, listed sequences dropped, values NaN) never makes the checker accept an over-claim;
 *  - on a real WebGPU adapter (lavapipe in CI), the shipped model's certificate equals the committed one.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuBackend } from '../../src/backend/cpu/index.js';
import { BackendRegistry, type Backend, type BruteForceScanInput, type BruteForceScanOutput } from '../../src/backend/index.js';
import { readModel } from '../../src/model/model.js';
import { bruteForceCertificate } from '../../src/prove/brute-force.js';
import { certificateBytes } from '../../src/prove/certificate.js';
import { openWebgpuForTests } from '../backend/models.js';
import { buildModel, judgeCorrupted, prng, tinySpecArb } from './models.js';

const SEED = 20261125;
const RUNS = Number(process.env.MECHCERT_PROPERTY_RUNS ?? 40);
const scan = cpuBackend.kernels.bruteForceScan!;

type Corrupt = (input: BruteForceScanInput, run: (band: number) => Promise<BruteForceScanOutput>) => Promise<BruteForceScanOutput>;

async function simulatedBackend(corrupt: Corrupt): Promise<Backend> {
  const registry = new BackendRegistry().register({
    name: 'webgpu',
    open: async () => ({ ok: true, context: { threads: 1 }, description: 'simulated float32 scan' }),
    close: async () => {},
    kernels: { bruteForceScan: async (ctx, input) => corrupt(input, (band) => scan(ctx, { ...input, band })) },
  });
  return registry.open('webgpu');
}

/** Errors within band/2: every sequence within band/2 of the undecided interval is listed, some up to 3·band/2 are. */
function withinBand(seed: number): Corrupt {
  return async (input, run) => {
    const next = prng(seed ^ input.queries.start);
    const wide = await run(1.5 * input.band);
    const narrow = new Set((await run(input.band / 2)).near);
    const near: number[] = [];
    const nearValue: number[] = [];
    let certain = wide.certain;
    wide.near.forEach((i, j) => {
      const g = wide.nearValue[j];
      if (narrow.has(i) || next() < 0.5) {
        near.push(i);
        nearValue.push(Math.fround(g + input.band * (next() - 0.5)));
      } else if (g < 0) certain++;
    });
    return { certain, floatCorrect: wide.floatCorrect, near: Uint32Array.from(near), nearValue: Float64Array.from(nearValue) };
  };
}

async function onSimulated(model: Parameters<typeof bruteForceCertificate>[0], corrupt: Corrupt) {
  const backend = await simulatedBackend(corrupt);
  try {
    return await bruteForceCertificate(model, { backend, threads: 1 });
  } finally {
    await backend.dispose();
  }
}

describe('brute-force prover on a backend scan', () => {
  it('a scan within the band gives the CPU certificate and figures', async () => {
    await fc.assert(
      fc.asyncProperty(tinySpecArb, fc.integer(), async (spec, noiseSeed) => {
        const { model } = buildModel(spec);
        const cpu = await bruteForceCertificate(model, { threads: 1 });
        const run = await onSimulated(model, withinBand(noiseSeed));
        expect(Buffer.from(certificateBytes(run.certificate)).equals(Buffer.from(certificateBytes(cpu.certificate)))).toBe(true);
        expect(run.figures.floatCorrect).toBe(cpu.figures.floatCorrect);
        expect(run.figures.undecided).toBe(cpu.figures.undecided);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('a corrupted scan never makes the checker accept an over-claim', async () => {
    const corruption = fc.record({ seed: fc.integer(), extra: fc.integer({ min: -5, max: 5 }), drop: fc.constantFrom(0, 0.5, 1), nan: fc.boolean() });
    let rejected = 0;
    let verified = 0;
    await fc.assert(
      fc.asyncProperty(tinySpecArb, corruption, async (spec, c) => {
        const { model, bytes } = buildModel(spec);
        const run = await onSimulated(model, async (input, scanAt) => {
          const next = prng(c.seed);
          const out = await scanAt(input.band);
          const keep = [...out.near.keys()].filter(() => next() >= c.drop);
          return {
            certain: Math.max(0, out.certain + c.extra),
            floatCorrect: out.floatCorrect,
            near: Uint32Array.from(keep, (j) => out.near[j]),
            nearValue: Float64Array.from(keep, (j) => (c.nan ? NaN : out.nearValue[j])),
          };
        });
        if ((await judgeCorrupted(run.certificate, bytes, model)) === 'verified') verified++;
        else rejected++;
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
    console.log(`corrupted scans: ${verified} certificates verified (all sound), ${rejected} rejected by the checker`);
    expect(verified + rejected).toBeGreaterThan(0);
  });
});

const gpu = await openWebgpuForTests();
const gpuMissing = 'unavailable' in gpu ? gpu.unavailable : undefined;
afterAll(async () => {
  if (!('unavailable' in gpu)) await gpu.dispose();
});

describe.skipIf(gpuMissing !== undefined)(`brute-force prover on WebGPU${gpuMissing ? ` (NOT RUN: ${gpuMissing})` : ''}`, () => {
  it('max4-v64-s123: the certificate equals the committed one (claim 16769030)', async () => {
    const run = await bruteForceCertificate(readModel('models/max4-v64-s123.safetensors'), { backend: gpu as Backend });
    console.log(`webgpu brute-force s123: ${(run.notes ?? []).join('; ')}`);
    expect(run.certificate.claim.correct).toBe('16769030');
    expect(Buffer.from(certificateBytes(run.certificate)).equals(readFileSync('certificates/max4-v64-s123.brute-force.json'))).toBe(true);
  }, 300_000);
});
