/**
 * Backend conformance (docs/architecture.md §5): every kernel on every backend present, compared with the CPU reference.
 * cpu always runs; webgpu runs when Dawn finds an adapter (any adapter, lavapipe included) and is otherwise skipped
 * with the reason printed. Set MECHCERT_REQUIRE_WEBGPU=1 (.ci/run does, once lavapipe is installed) to make a missing
 * adapter a failure instead of a skip.
 *
 * Laws checked, per backend:
 *   - count-agrees: countCorrectExhaustive equals the float64 reference count exactly (float32 backends re-decide
 *     near-ties in float64, so any disagreement is a bug or a float32 error larger than the tolerance band);
 *   - range-additive: counts over adjacent ranges with unaligned boundaries add up to the count over their union;
 *   - margins-within-tolerance: every sequence's margin is within the backend's tolerance of the float64 margin, and
 *     the sign (correct or not) differs only for float64 near-ties, which are listed when they occur;
 *   - ties-are-wrong: on all-zero tables (every logit equal) no sequence is correct, even when the near-tie list
 *     overflows;
 *   - grad-close: trainStepGradient's loss and gradient match MaxOfKNet.lossAndGrad (float64) within 1e-4 relative
 *     (float32 backends), and the batch's correct count is equal;
 *   - cubic-bounds-close: every cubicCaseBounds entry is within a tenth of the prover's hint band (src/prove/cubic.ts
 *     hintBand) of the float64 bound, on random, large-weight (weights near e^−350) and trained models; the joint
 *     bound is never above the decoupled one; below `jointAbove` the joint entry is the decoupled one;
 *   - brute-force-scan-close: bruteForceScan's counts, once its listed sequences are re-decided in float64, equal the
 *     float64 scan's (certain, float-correct, undecided ⊆ listed); the listed set covers every sequence whose float64
 *     deciding value is within half the prover's band (src/prove/brute-force.ts scanBand) of the undecided interval,
 *     and every listed value is within half the band of the float64 one; on random, large-weight (weights near e^−350)
 *     and trained models.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BackendRegistry, createBackendRegistry, KERNEL_NAMES, KernelNotRegisteredError, parseBackendChoice, type Backend, type BackendName } from '../../src/backend/index.js';
import { countCorrectRange, decideSequence, marginsRange, sequenceScratch } from '../../src/backend/cpu/reference.js';
import { float32MarginTolerance } from '../../src/backend/webgpu/tolerance.js';
import type { PathTables } from '../../src/model/paths.js';
import { paramLayout, type Dims } from '../../src/train/forward-backward.js';
import { MaxOfKNet } from '../../src/train/forward-backward.js';
import { CubicBounds } from '../../src/prove/cubic-bounds.js';
import { cubicSetup, hintBand } from '../../src/prove/cubic.js';
import { readModel, type Model } from '../../src/model/model.js';
import { bruteForceSetup, scanBand } from '../../src/prove/brute-force.js';
import { emptyTally, recordSequence, scanQuery, sequenceValues } from '../../src/prove/brute-force-kernel.js';
import { buildModel } from '../prove/models.js';
import { prng, maxLikeTables, openWebgpuForTests, randomTables } from './models.js';

const registry = createBackendRegistry();
const present: Backend[] = [];
const missing = new Map<BackendName, string>();
for (const name of registry.backends()) {
  const opened = name === 'webgpu' ? await openWebgpuForTests() : await registry.tryOpen(name, { allowSoftwareAdapter: true });
  if ('unavailable' in opened) missing.set(name, opened.unavailable);
  else present.push(opened);
}
const webgpuMissing = missing.get('webgpu');
if (webgpuMissing) {
  console.warn(`\n*** WebGPU conformance NOT RUN: ${webgpuMissing}\n*** Only the cpu backend is tested.\n`);
} else {
  console.log(`WebGPU conformance runs on: ${present.find((b) => b.name === 'webgpu')?.description}`);
}

afterAll(async () => {
  // Destroying the WebGPU device lets the process exit: Dawn otherwise keeps it alive.
  for (const b of present) await b.dispose();
});

const zeroTables = (k: number, vocab: number): PathTables => ({
  k,
  vocab,
  scale: 1,
  EU: new Float64Array(vocab * vocab),
  EVOU: new Float64Array(vocab * vocab),
  PVOU: new Float64Array(k * vocab),
  EQKE: new Float64Array(vocab * vocab),
  EQKP: new Float64Array(vocab * k),
});

/** The models compared, smallest first; the last is the K = 4, V = 64 size (16,777,216 sequences). */
const models: Array<{ name: string; tables: () => PathTables }> = [
  { name: 'random K=3 V=8', tables: () => randomTables(3, 8, 1) },
  { name: 'random K=4 V=16', tables: () => randomTables(4, 16, 2) },
  { name: 'random K=4 V=32', tables: () => randomTables(4, 32, 4) },
  { name: 'max-like K=2 V=64', tables: () => maxLikeTables(2, 64, 5) },
  { name: 'max-like K=5 V=8', tables: () => maxLikeTables(5, 8, 6) },
  { name: 'max-like K=4 V=64', tables: () => maxLikeTables(4, 64, 3) },
];

/**
 * The float64 reference count, computed once per model. For the cpu backend itself (the odometer loop of
 * cpu/reference.ts) the comparison is with an independent path: every sequence decoded from its index and decided alone.
 */
const memo = new Map<string, { tables: PathTables; reference: number }>();
function model(i: number): { tables: PathTables; reference: number } {
  const m = models[i];
  let got = memo.get(m.name);
  if (!got) {
    const tables = m.tables();
    got = { tables, reference: countCorrectRange(tables, { start: 0, end: tables.vocab ** tables.k }) };
    memo.set(m.name, got);
  }
  return got;
}

function decidedOneByOne(tables: PathTables): number {
  const s = sequenceScratch(tables);
  let correct = 0;
  for (let n = 0; n < tables.vocab ** tables.k; n++) if (decideSequence(tables, n, s)) correct++;
  return correct;
}

describe('backend registry', () => {
  it('opens cpu always, and says why any other backend is missing', () => {
    expect(present.map((b) => b.name)).toContain('cpu');
    for (const [name, reason] of missing) {
      expect(name).not.toBe('cpu');
      expect(reason.length).toBeGreaterThan(0);
    }
  });

  it.skipIf(process.env.MECHCERT_REQUIRE_WEBGPU !== '1')('finds a WebGPU adapter (MECHCERT_REQUIRE_WEBGPU=1)', () => {
    expect(webgpuMissing, `no WebGPU adapter: ${webgpuMissing}`).toBeUndefined();
  });

  it('every backend registers every kernel', () => {
    for (const b of present) for (const k of KERNEL_NAMES) expect(b.has(k), `${b.name} lacks ${k}`).toBe(true);
  });

  it('a kernel missing from a backend throws naming both', async () => {
    const bare = new BackendRegistry().register({ name: 'cpu', open: async () => ({ ok: true, context: null, description: 'bare' }), close: async () => {}, kernels: {} });
    const b = await bare.open('cpu');
    await expect(b.run('countCorrectExhaustive', { tables: randomTables(2, 4, 1) })).rejects.toThrow(new KernelNotRegisteredError('countCorrectExhaustive', 'cpu'));
    await b.dispose();
  });

  it('auto picks a hardware adapter or falls back to cpu, saying which', async () => {
    const lines: string[] = [];
    const b = await registry.open('auto', { log: (l) => lines.push(l) });
    try {
      expect(lines.join('\n')).toMatch(/^backend auto: using (cpu|webgpu)/);
      if (b.name === 'cpu') expect(lines[0]).toMatch(/webgpu: /);
    } finally {
      await b.dispose();
    }
    console.log(lines.join('\n'));
  });

  it('runs concurrent calls on one backend one at a time, each with its own result', async () => {
    const small = [randomTables(3, 8, 1), randomTables(3, 6, 2), randomTables(2, 9, 3)];
    for (const b of present) {
      const outs = await Promise.all(small.map((tables) => b.run('countCorrectExhaustive', { tables })));
      outs.forEach((o, i) => expect(o.correct, `${b.name} call ${i}`).toBe(countCorrectRange(small[i], { start: 0, end: small[i].vocab ** small[i].k })));
    }
  });

  it('parses --backend values', () => {
    expect(parseBackendChoice('auto')).toBe('auto');
    expect(() => parseBackendChoice('cuda')).toThrow(/cpu, webgpu, auto/);
  });
});

if (webgpuMissing) {
  describe('webgpu conformance', () => {
    it.skip(`NOT RUN, no WebGPU adapter: ${webgpuMissing}`, () => {});
  });
}

for (const backend of present) {
  describe(`${backend.name} conformance`, () => {
    models.forEach((m, i) => {
      // The cpu backend is the reference: checking it on the largest model against itself would only cost time.
      const selfCheckOnly = backend.name === 'cpu' && i === models.length - 1;
      it.skipIf(selfCheckOnly)(`count-agrees: countCorrectExhaustive on ${m.name} equals the float64 reference`, async () => {
        const { tables, reference } = backend.name === 'cpu' ? { tables: m.tables(), reference: NaN } : model(i);
        const expected = backend.name === 'cpu' ? decidedOneByOne(tables) : reference;
        const t0 = performance.now();
        const out = await backend.run('countCorrectExhaustive', { tables });
        const seconds = (performance.now() - t0) / 1000;
        console.log(
          `${backend.name} ${m.name}: correct ${out.correct}/${out.total} (reference ${expected}; raw ${out.rawCorrect}, rechecked ${out.rechecked}, tolerance ${out.tolerance.toExponential(2)}) in ${seconds.toFixed(2)} s`,
        );
        expect(out.total).toBe(tables.vocab ** tables.k);
        expect(out.correct).toBe(expected);
      }, 600_000);
    });

    it('range-additive: counts over adjacent unaligned ranges add up', async () => {
      const { tables } = model(2);
      const cuts = [0, 1, 777, 4096, 65_537, 300_001, tables.vocab ** tables.k];
      let sum = 0;
      for (let c = 0; c + 1 < cuts.length; c++) {
        const part = await backend.run('countCorrectExhaustive', { tables, range: { start: cuts[c], end: cuts[c + 1] } });
        expect(part.total).toBe(cuts[c + 1] - cuts[c]);
        expect(part.correct).toBe(countCorrectRange(tables, { start: cuts[c], end: cuts[c + 1] }));
        sum += part.correct;
      }
      expect(sum).toBe(model(2).reference);
      await expect(backend.run('countCorrectExhaustive', { tables, range: { start: 5, end: 4 } })).rejects.toThrow(RangeError);
      const empty = await backend.run('countCorrectExhaustive', { tables, range: { start: 9, end: 9 } });
      expect(empty.correct).toBe(0);
    });

    for (const i of [0, 1, 3, 4]) {
      it(`margins-within-tolerance: sequenceMargins on ${models[i].name}`, async () => {
        const { tables } = model(i);
        const range = { start: 0, end: tables.vocab ** tables.k };
        const exact = marginsRange(tables, range);
        const { margins } = await backend.run('sequenceMargins', { tables, range });
        const tol = backend.name === 'cpu' ? 0 : float32MarginTolerance(tables);
        let worst = 0;
        const flipped: string[] = [];
        for (let n = 0; n < exact.length; n++) {
          const err = Math.abs(margins[n] - exact[n]);
          if (err > worst) worst = err;
          if (margins[n] > 0 !== exact[n] > 0) flipped.push(`sequence ${n}: float64 margin ${exact[n]}, ${backend.name} ${margins[n]}`);
        }
        console.log(`${backend.name} ${models[i].name}: max |margin error| ${worst.toExponential(2)} (tolerance ${tol.toExponential(2)}); sign flips: ${flipped.length ? flipped.join('; ') : 'none'}`);
        expect(worst).toBeLessThanOrEqual(tol);
        // A flipped decision is only allowed for a float64 near-tie, which the count kernel re-decides.
        for (let n = 0; n < exact.length; n++) if (margins[n] > 0 !== exact[n] > 0) expect(Math.abs(exact[n])).toBeLessThanOrEqual(tol);
      });
    }

    const trainCases: Array<{ dims: Dims; batch: number; seed: number }> = [
      { dims: { k: 4, vocab: 64, dModel: 32, dHead: 32 }, batch: 128, seed: 1 },
      { dims: { k: 3, vocab: 7, dModel: 8, dHead: 4 }, batch: 5, seed: 2 },
      { dims: { k: 2, vocab: 10, dModel: 6, dHead: 1 }, batch: 70, seed: 3 },
    ];
    for (const { dims, batch, seed } of trainCases) {
      it(`grad-close: trainStepGradient K=${dims.k} V=${dims.vocab} d=${dims.dModel} h=${dims.dHead} batch ${batch} matches MaxOfKNet`, async () => {
        const next = prng(seed);
        const total = paramLayout(dims).total;
        const std = 0.8 / Math.sqrt(dims.dModel);
        // Uniform with the init's standard deviation (√3·std half-width), scaled up so that the loss is not flat.
        const params = Float64Array.from({ length: total }, () => 3 * std * Math.sqrt(3) * (2 * next() - 1));
        const tokens = Int32Array.from({ length: batch * dims.k }, () => Math.floor(next() * dims.vocab));
        const net = new MaxOfKNet(dims, batch);
        const grad = new Float64Array(total);
        const ref = net.lossAndGrad(params, tokens, grad);
        const out = await backend.run('trainStepGradient', { dims, params, tokens, batch });
        let gmax = 0;
        let err = 0;
        for (let j = 0; j < total; j++) {
          gmax = Math.max(gmax, Math.abs(grad[j]));
          err = Math.max(err, Math.abs(out.grad[j] - grad[j]));
        }
        console.log(`${backend.name} train step K=${dims.k} V=${dims.vocab}: loss ${out.loss} (reference ${ref.loss}), correct ${out.correct}/${batch} (reference ${ref.correct}), max |grad error| ${err.toExponential(2)} of max |grad| ${gmax.toExponential(2)}`);
        expect(out.grad.length).toBe(total);
        expect(Math.abs(out.loss - ref.loss)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ref.loss)));
        expect(out.correct).toBe(ref.correct);
        expect(err).toBeLessThanOrEqual(1e-4 * gmax);
      });
    }

    it('ties-are-wrong: all-zero tables give no correct sequence, even past the near-tie list capacity', async () => {
      const small = await backend.run('countCorrectExhaustive', { tables: zeroTables(3, 5) });
      expect(small.correct).toBe(0);
      // 33^4 = 1,185,921 near-ties: more than the WebGPU list holds (2^20), so that path falls back to float64.
      const big = await backend.run('countCorrectExhaustive', { tables: zeroTables(4, 33) });
      expect(big.correct).toBe(0);
      expect(big.total).toBe(33 ** 4);
      if (backend.name !== 'cpu') expect(big.rechecked).toBe(33 ** 4);
    });

    const cubicModels: Array<{ name: string; model: () => Model; mRange?: { start: number; end: number } }> = [
      { name: 'normal K=3 V=7', model: () => buildModel({ kind: 'normal', vocab: 7, k: 3, dModel: 6, dHead: 4, seed: 11, scale: 1 }).model },
      { name: 'solver K=4 V=8', model: () => buildModel({ kind: 'solver', vocab: 8, k: 4, dModel: 8, dHead: 3, seed: 12, scale: 0.3 }).model },
      { name: 'large-weight K=2 V=3', model: () => buildModel({ kind: 'large', vocab: 3, k: 2, dModel: 2, dHead: 1, seed: 1356308668, scale: 0.3 }).model },
      { name: 'large-weight K=5 V=5', model: () => buildModel({ kind: 'large', vocab: 5, k: 5, dModel: 3, dHead: 2, seed: 13, scale: 1 }).model },
      { name: 'trained max4-v64-s123, m in [40, 44)', model: () => readModel('models/max4-v64-s123.safetensors'), mRange: { start: 40, end: 44 } },
    ];
    for (const c of cubicModels) {
      it(`cubic-bounds-close: cubicCaseBounds on ${c.name}`, async () => {
        const model = c.model();
        const setup = cubicSetup(model, {});
        const { k: K, vocab: V } = model.config;
        const mRange = c.mRange ?? { start: 0, end: V };
        const band = hintBand(setup);
        const jointAbove = -setup.tol - 2 * band;
        const all = (await backend.run('cubicCaseBounds', { tables: setup.T, weights: setup.weights, mRange })).bounds;
        const cut = (await backend.run('cubicCaseBounds', { tables: setup.T, weights: setup.weights, mRange, jointAbove })).bounds;
        const reference = new CubicBounds(setup.T, setup.weights);
        let worst = 0;
        let entries = 0;
        for (let m = mRange.start; m < mRange.end; m++) {
          reference.centre(m);
          for (let q = 0; q <= m; q++) {
            for (let cc = 1; cc <= reference.maxCopies(q); cc++) {
              for (let k = 0; k < m; k++) {
                const e = (((m - mRange.start) * V + q) * (K - 1) + cc - 1) * V + k;
                const [dec, joint] = [reference.decoupled(q, cc, k), reference.joint(q, cc, k)];
                worst = Math.max(worst, Math.abs(all[2 * e] - dec), Math.abs(all[2 * e + 1] - joint));
                expect(all[2 * e + 1], `joint above decoupled at m=${m} q=${q} c=${cc} k=${k}`).toBeLessThanOrEqual(all[2 * e] + band / 10);
                expect(cut[2 * e]).toBe(all[2 * e]);
                expect(cut[2 * e + 1]).toBe(all[2 * e] >= jointAbove ? all[2 * e + 1] : all[2 * e]);
                entries++;
              }
            }
          }
        }
        console.log(`${backend.name} cubicCaseBounds ${c.name}: ${entries} entries, max |error| ${worst.toExponential(2)} (band ${band.toExponential(2)})`);
        expect(entries).toBeGreaterThan(0);
        expect(worst).toBeLessThanOrEqual(band / 10);
      }, 120_000);
    }

    const scanModels: Array<{ name: string; model: () => Model; queries?: { start: number; end: number } }> = [
      { name: 'normal K=3 V=7', model: () => buildModel({ kind: 'normal', vocab: 7, k: 3, dModel: 6, dHead: 4, seed: 11, scale: 1 }).model },
      { name: 'solver K=4 V=8', model: () => buildModel({ kind: 'solver', vocab: 8, k: 4, dModel: 8, dHead: 3, seed: 12, scale: 0.3 }).model },
      { name: 'integer K=3 V=6', model: () => buildModel({ kind: 'integer', vocab: 6, k: 3, dModel: 4, dHead: 2, seed: 14, scale: 1 }).model },
      { name: 'large-weight K=2 V=3', model: () => buildModel({ kind: 'large', vocab: 3, k: 2, dModel: 2, dHead: 1, seed: 1356308668, scale: 0.3 }).model },
      { name: 'large-weight K=5 V=5', model: () => buildModel({ kind: 'large', vocab: 5, k: 5, dModel: 3, dHead: 2, seed: 13, scale: 1 }).model },
      { name: 'trained max4-v64-s123, queries [40, 42)', model: () => readModel('models/max4-v64-s123.safetensors'), queries: { start: 40, end: 42 } },
    ];
    for (const c of scanModels) {
      it(`brute-force-scan-close: bruteForceScan on ${c.name}`, async () => {
        const { input } = bruteForceSetup(c.model());
        const queries = c.queries ?? { start: 0, end: input.V };
        const band = scanBand(input);
        const reference = emptyTally();
        const halfBand = emptyTally();
        for (let q = queries.start; q < queries.end; q++) {
          scanQuery(input, q, reference);
          scanQuery(input, q, halfBand, band / 2);
        }
        const out = await backend.run('bruteForceScan', { input, queries, band });
        // Re-decide the listed sequences in float64, as the prover does.
        const values = sequenceValues(input);
        const settled = emptyTally();
        for (const i of out.near) {
          const v = values(i);
          recordSequence(settled, i, v.worst, v.z, v.tol, 0);
        }
        // An infinite band lists every sequence with its value: the error over the whole range.
        const everything = await backend.run('bruteForceScan', { input, queries, band: Infinity });
        expect(everything.near.length).toBe(input.V ** (input.K - 1) * (queries.end - queries.start));
        let worst = 0;
        everything.near.forEach((i, j) => {
          const v = values(i);
          worst = Math.max(worst, Math.abs(everything.nearValue[j] - v.worst / v.z));
        });
        expect(out.certain + settled.certain).toBe(reference.certain);
        expect(out.certain + settled.floatCorrect).toBe(reference.floatCorrect);
        expect(settled.near).toEqual([...reference.near].sort((a, b) => a - b));
        const listed = new Set(out.near);
        for (const i of halfBand.near) expect(listed.has(i), `sequence ${i} within band/2 but not listed`).toBe(true);
        console.log(`${backend.name} bruteForceScan ${c.name}: ${out.near.length} listed (${halfBand.near.length} within band/2), max |error| ${worst.toExponential(2)} (band ${band.toExponential(2)})`);
        expect(worst).toBeLessThanOrEqual(band / 2);
      }, 120_000);
    }
  });
}
