/**
 * The cubic search on a backend's case table (src/prove/cubic.ts cubicCertificateOnBackend, kernel cubicCaseBounds):
 *  - hints within the band give the CPU search's certificate byte for byte, in every joint mode (a simulated float32
 *    backend: the cpu kernel's table, perturbed by up to half the band and rounded to float32; runs without a GPU);
 *  - hints wrong by any amount (huge noise, NaN, ±∞, entries swapped) never make the checker accept an over-claim:
 *    each certificate is either rejected or verified with a count ≤ the float ground truth;
 *  - on a real WebGPU adapter (lavapipe in CI), the shipped models' certificates equal the committed ones.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuBackend } from '../../src/backend/cpu/index.js';
import { BackendRegistry, type Backend, type CubicCaseBoundsInput } from '../../src/backend/index.js';
import { readModel, type Model } from '../../src/model/model.js';
import { certificateBytes } from '../../src/prove/certificate.js';
import { cubicCertificate, cubicCertificateOnBackend, cubicSetup, hintBand, type CubicJointMode } from '../../src/prove/cubic.js';
import { openWebgpuForTests } from '../backend/models.js';
import { buildModel, judgeCorrupted, prng, tinySpecArb } from './models.js';

const SEED = 20261124;
const RUNS = Number(process.env.MECHCERT_PROPERTY_RUNS ?? 60);
const MODES: CubicJointMode[] = ['fallback', 'always', 'never'];

/** A backend named webgpu whose case table is the cpu kernel's, passed through `corrupt` (given the hint band). */
async function simulatedBackend(corrupt: (bounds: Float64Array, band: number, input: CubicCaseBoundsInput) => Float64Array | Float32Array, band: number): Promise<Backend> {
  const cubicCaseBounds = cpuBackend.kernels.cubicCaseBounds!;
  const registry = new BackendRegistry().register({
    name: 'webgpu',
    open: async () => ({ ok: true, context: { threads: 1 }, description: 'simulated float32 case table' }),
    close: async () => {},
    kernels: {
      cubicCaseBounds: async (ctx, input) => ({ bounds: corrupt((await cubicCaseBounds(ctx, input)).bounds as Float64Array, band, input) }),
    },
  });
  return registry.open('webgpu');
}

/** Up to ±band/2 of noise, then float32 rounding: a backend the search must agree with exactly. */
function withinBand(seed: number) {
  return (bounds: Float64Array, band: number) => {
    const next = prng(seed);
    return Float32Array.from(bounds, (b) => b + band * (next() - 0.5));
  };
}

async function onSimulated(model: Model, joint: CubicJointMode, corrupt: Parameters<typeof simulatedBackend>[0]) {
  const band = hintBand(cubicSetup(model, { joint }));
  const backend = await simulatedBackend(corrupt, band);
  try {
    return await cubicCertificateOnBackend(model, backend, { joint });
  } finally {
    await backend.dispose();
  }
}

describe('cubic search on a backend case table', () => {
  it('hints within the band give the CPU certificate byte for byte, in every joint mode', async () => {
    await fc.assert(
      fc.asyncProperty(tinySpecArb, fc.constantFrom(...MODES), fc.integer(), async (spec, joint, noiseSeed) => {
        const { model } = buildModel(spec);
        if (model.config.k < 2) return;
        const cpu = certificateBytes(cubicCertificate(model, { joint }).certificate);
        const run = await onSimulated(model, joint, withinBand(noiseSeed));
        expect(Buffer.from(certificateBytes(run.certificate)).equals(Buffer.from(cpu))).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('on the shipped seed-123 model, noisy float32 hints give the committed certificate', async () => {
    const model = readModel('models/max4-v64-s123.safetensors');
    const run = await onSimulated(model, 'fallback', withinBand(5));
    expect(run.figures.rechecked).toBeGreaterThan(0);
    expect(Buffer.from(certificateBytes(run.certificate)).equals(readFileSync('certificates/max4-v64-s123.cubic.json'))).toBe(true);
  }, 60_000);

  it('hints wrong by any amount never make the checker accept an over-claim', async () => {
    const corruption = fc.record({
      seed: fc.integer(),
      scale: fc.constantFrom(1, 10, 1e3, 1e30),
      special: fc.constantFrom(NaN, Infinity, -Infinity, -1e30, 0),
      specialRate: fc.constantFrom(0, 0.05, 0.5),
      swap: fc.boolean(),
    });
    let rejected = 0;
    let verified = 0;
    await fc.assert(
      fc.asyncProperty(tinySpecArb, fc.constantFrom(...MODES), corruption, async (spec, joint, c) => {
        const { model, bytes } = buildModel(spec);
        if (model.config.k < 2) return;
        const run = await onSimulated(model, joint, (bounds, band) => {
          const next = prng(c.seed);
          const out = Float64Array.from(bounds, (b) => (next() < c.specialRate ? c.special : b + c.scale * band * (2 * next() - 1)));
          // Swapped pairs: the decoupled and joint hints trade places.
          if (c.swap) for (let i = 0; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [out[i + 1], out[i]];
          return out;
        });
        if ((await judgeCorrupted(run.certificate, bytes, model)) === 'verified') verified++;
        else rejected++;
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
    console.log(`corrupted case tables: ${verified} certificates verified (all sound), ${rejected} rejected by the checker`);
    expect(verified + rejected).toBeGreaterThan(0);
  });
});

const gpu = await openWebgpuForTests();
const gpuMissing = 'unavailable' in gpu ? gpu.unavailable : undefined;
afterAll(async () => {
  if (!('unavailable' in gpu)) await gpu.dispose();
});

describe.skipIf(gpuMissing !== undefined)(`cubic search on WebGPU${gpuMissing ? ` (NOT RUN: ${gpuMissing})` : ''}`, () => {
  for (const seed of [123, 50]) {
    it(`max4-v64-s${seed}: the certificate equals the committed one`, async () => {
      const backend = gpu as Backend;
      const model = readModel(`models/max4-v64-s${seed}.safetensors`);
      const run = await cubicCertificateOnBackend(model, backend);
      console.log(`webgpu cubic s${seed}: ${run.notes.join('; ')}`);
      expect(Buffer.from(certificateBytes(run.certificate)).equals(readFileSync(`certificates/max4-v64-s${seed}.cubic.json`))).toBe(true);
    }, 120_000);
  }

  it('tiny models in every joint mode: the same certificate as the CPU search', async () => {
    const backend = gpu as Backend;
    await fc.assert(
      fc.asyncProperty(tinySpecArb, fc.constantFrom(...MODES), async (spec, joint) => {
        const { model } = buildModel(spec);
        if (model.config.k < 2) return;
        const cpu = certificateBytes(cubicCertificate(model, { joint }).certificate);
        const run = await cubicCertificateOnBackend(model, backend, { joint });
        expect(Buffer.from(certificateBytes(run.certificate)).equals(Buffer.from(cpu)), run.notes.join('; ')).toBe(true);
      }),
      { seed: SEED + 2, numRuns: Math.min(RUNS, 15) },
    );
  }, 300_000);
});
