/**
 * Backends compared per kernel (issue 6): exhaustive evaluation throughput (sequences/s) on cpu and webgpu.
 * K = 4, V = 64 (16,777,216 sequences) on every backend present; K = 5, V = 64 (1,073,741,824) only on a hardware
 * adapter, or when MECHCERT_BENCH_K5=1 (hours on the CPU or lavapipe). The model is the deterministic max-like one of
 * test/backend/models.ts, or MECHCERT_BENCH_MODEL=path/to/model.safetensors for K = 4.
 * Each run opens the backend, compiles on a small range first (not timed), times the full range, and disposes.
 * trainStepGradient (forward + backward, batch 128, K = 4, V = 64, d = 32) is timed over 50 steps after one warm-up.
 * cubicCaseBounds is timed on the whole case table of models/max4-v64-s123 (3 × 64 × 64 × 64 entries), once with
 * every joint bound and once with the prover's threshold (joint bounds only where the decoupled one is near or above
 * −tol), after one warm-up call on one max token; the cubic search end to end (exp tables, kernel, float64 rechecks)
 * is timed per backend in prove.bench.ts. bruteForceScan is timed on every sequence of models/max4-v64-s123 with the
 * prover's band, after one warm-up call on one query token.
 */
import { performance } from 'node:perf_hooks';
import { createBackendRegistry, type BackendName } from '../src/backend/index.js';
import { readModel } from '../src/model/model.js';
import { pathTables, type PathTables } from '../src/model/paths.js';
import { paramLayout, type Dims } from '../src/train/forward-backward.js';
import { cubicSetup, hintBand } from '../src/prove/cubic.js';
import { bruteForceSetup, scanBand } from '../src/prove/brute-force.js';
import { maxLikeTables, prng } from '../test/backend/models.js';
import type { Bench } from './harness.js';

const registry = createBackendRegistry();

function tablesFor(k: number): PathTables {
  const file = process.env.MECHCERT_BENCH_MODEL;
  if (file && k === 4) return pathTables(readModel(file));
  return maxLikeTables(k, 64, 3);
}

async function exhaustive(name: BackendName, k: number): Promise<Record<string, number> | void> {
  const backend = await registry.tryOpen(name, { allowSoftwareAdapter: true });
  if ('unavailable' in backend) {
    console.log(`${name}: not run (${backend.unavailable})`);
    return;
  }
  try {
    const tables = tablesFor(k);
    if (k >= 5 && name === 'webgpu' && backend.description.includes('software') && process.env.MECHCERT_BENCH_K5 !== '1') {
      console.log(`${name} K=${k}: not run on a software adapter (${backend.description}); set MECHCERT_BENCH_K5=1 to force`);
      return;
    }
    if (k >= 5 && name === 'cpu' && process.env.MECHCERT_BENCH_K5 !== '1') {
      console.log(`cpu K=${k}: not run (set MECHCERT_BENCH_K5=1 to force)`);
      return;
    }
    await backend.run('countCorrectExhaustive', { tables, range: { start: 0, end: 4096 } });
    const t0 = performance.now();
    const out = await backend.run('countCorrectExhaustive', { tables });
    const seconds = (performance.now() - t0) / 1000;
    console.log(`${backend.description}: K=${k} V=64 correct ${out.correct}/${out.total} (raw ${out.rawCorrect}, rechecked ${out.rechecked}) in ${seconds.toFixed(3)} s`);
    return { 'sequences/s': out.total / seconds, 'kernel s': seconds, rechecked: out.rechecked };
  } finally {
    await backend.dispose();
  }
}

async function trainStep(name: BackendName): Promise<Record<string, number> | void> {
  const backend = await registry.tryOpen(name, { allowSoftwareAdapter: true });
  if ('unavailable' in backend) {
    console.log(`${name}: not run (${backend.unavailable})`);
    return;
  }
  try {
    const dims: Dims = { k: 4, vocab: 64, dModel: 32, dHead: 32 };
    const batch = 128;
    const next = prng(7);
    const params = Float64Array.from({ length: paramLayout(dims).total }, () => 0.25 * (2 * next() - 1));
    const tokens = Int32Array.from({ length: batch * dims.k }, () => Math.floor(next() * dims.vocab));
    await backend.run('trainStepGradient', { dims, params, tokens, batch });
    const steps = 50;
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await backend.run('trainStepGradient', { dims, params, tokens, batch });
    const seconds = (performance.now() - t0) / 1000;
    return { 'steps/s': steps / seconds, 'ms/step': (1000 * seconds) / steps };
  } finally {
    await backend.dispose();
  }
}

async function cubicTable(name: BackendName, threshold: boolean): Promise<Record<string, number> | void> {
  const backend = await registry.tryOpen(name, { allowSoftwareAdapter: true });
  if ('unavailable' in backend) {
    console.log(`${name}: not run (${backend.unavailable})`);
    return;
  }
  try {
    const setup = cubicSetup(readModel(new URL('../models/max4-v64-s123.safetensors', import.meta.url).pathname), {});
    const V = setup.T.vocab;
    const jointAbove = threshold ? -setup.tol - 2 * hintBand(setup) : -Infinity;
    const input = { tables: setup.T, weights: setup.weights, jointAbove };
    await backend.run('cubicCaseBounds', { ...input, mRange: { start: V - 1, end: V } });
    const t0 = performance.now();
    const { bounds } = await backend.run('cubicCaseBounds', { ...input, mRange: { start: 0, end: V } });
    const seconds = (performance.now() - t0) / 1000;
    return { 'entries/s': bounds.length / 2 / seconds, 'kernel s': seconds };
  } finally {
    await backend.dispose();
  }
}

async function bruteForceScan(name: BackendName): Promise<Record<string, number> | void> {
  const backend = await registry.tryOpen(name, { allowSoftwareAdapter: true });
  if ('unavailable' in backend) {
    console.log(`${name}: not run (${backend.unavailable})`);
    return;
  }
  try {
    const { input } = bruteForceSetup(readModel(new URL('../models/max4-v64-s123.safetensors', import.meta.url).pathname));
    const band = scanBand(input);
    await backend.run('bruteForceScan', { input, queries: { start: 0, end: 1 }, band });
    const t0 = performance.now();
    const out = await backend.run('bruteForceScan', { input, queries: { start: 0, end: input.V }, band });
    const seconds = (performance.now() - t0) / 1000;
    return { 'sequences/s': input.V ** input.K / seconds, 'kernel s': seconds, listed: out.near.length, certain: out.certain };
  } finally {
    await backend.dispose();
  }
}

export const benches: Bench[] = [
  { name: 'backend cpu bruteForceScan K=4 V=64', repeats: 1, run: () => bruteForceScan('cpu') },
  { name: 'backend webgpu bruteForceScan K=4 V=64', repeats: 1, run: () => bruteForceScan('webgpu') },
  { name: 'backend cpu cubicCaseBounds K=4 V=64 every joint bound', repeats: 1, run: () => cubicTable('cpu', false) },
  { name: 'backend webgpu cubicCaseBounds K=4 V=64 every joint bound', repeats: 3, run: () => cubicTable('webgpu', false) },
  { name: 'backend cpu cubicCaseBounds K=4 V=64 prover threshold', repeats: 3, run: () => cubicTable('cpu', true) },
  { name: 'backend webgpu cubicCaseBounds K=4 V=64 prover threshold', repeats: 3, run: () => cubicTable('webgpu', true) },
  { name: 'backend cpu trainStepGradient K=4 V=64 batch 128', repeats: 1, run: () => trainStep('cpu') },
  { name: 'backend webgpu trainStepGradient K=4 V=64 batch 128', repeats: 1, run: () => trainStep('webgpu') },
  { name: 'backend cpu countCorrectExhaustive K=4 V=64', repeats: 1, run: () => exhaustive('cpu', 4) },
  { name: 'backend webgpu countCorrectExhaustive K=4 V=64', repeats: 1, run: () => exhaustive('webgpu', 4) },
  { name: 'backend cpu countCorrectExhaustive K=5 V=64', repeats: 1, run: () => exhaustive('cpu', 5) },
  { name: 'backend webgpu countCorrectExhaustive K=5 V=64', repeats: 1, run: () => exhaustive('webgpu', 5) },
];
