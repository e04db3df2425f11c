/**
 * Deterministic models for the backend conformance suite and benchmarks, with no dependence on training:
 * `randomTables` (a random model's path tables, via src/model/paths.ts) and `maxLikeTables` (tables built so that
 * attention picks the largest token and the OV path copies it: accurate, with a few errors near small maxima).
 */
import { createBackendRegistry, type Backend } from '../../src/backend/index.js';
import type { Model } from '../../src/model/model.js';
import { pathTables, type PathTables } from '../../src/model/paths.js';
import { prng } from '../prove/models.js';

export { prng };

function normals(next: () => number, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - next();
    const v = next();
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

export function randomModel(k: number, vocab: number, dModel: number, dHead: number, seed: number): Model {
  const next = prng(seed);
  const std = 0.8 / Math.sqrt(dModel);
  return {
    config: { k, vocab, dModel, dHead },
    WE: normals(next, vocab * dModel, std),
    Wpos: normals(next, k * dModel, std),
    WQ: normals(next, dModel * dHead, std),
    WK: normals(next, dModel * dHead, std),
    WV: normals(next, dModel * dHead, std),
    WO: normals(next, dHead * dModel, std),
    WU: normals(next, dModel * vocab, std),
    metadata: {},
    sha256: '0'.repeat(64),
  };
}

export function randomTables(k: number, vocab: number, seed: number, dModel = 32, dHead = 32): PathTables {
  return pathTables(randomModel(k, vocab, dModel, dHead, seed));
}

/**
 * Tables of a model that mostly computes max: score(q, t) = slope·t (+ noise), so attention concentrates on the
 * largest token; EVOU[t] puts `gain` on logit t and a little below on its neighbours. Wrong mostly when the maximum is
 * small (attention spreads over near-equal tokens).
 */
export function maxLikeTables(k: number, vocab: number, seed: number, slope = 0.7, gain = 10, noise = 0.3): PathTables {
  const next = prng(seed);
  const V = vocab;
  const n = (): number => noise * (2 * next() - 1);
  const EU = Float64Array.from({ length: V * V }, n);
  const EVOU = new Float64Array(V * V);
  for (let t = 0; t < V; t++) for (let x = 0; x < V; x++) EVOU[t * V + x] = (x === t ? gain : x === t - 1 || x === t + 1 ? 0.8 * gain : 0) + n();
  const PVOU = Float64Array.from({ length: k * V }, n);
  const EQKE = new Float64Array(V * V);
  for (let q = 0; q < V; q++) for (let t = 0; t < V; t++) EQKE[q * V + t] = slope * t + n();
  const EQKP = Float64Array.from({ length: V * k }, n);
  return { k, vocab: V, scale: 1, EU, EVOU, PVOU, EQKE, EQKP };
}

/**
 * Why no WebGPU adapter (lavapipe included) opens here, or undefined when one does: the answer of the run's one probe
 * (test/backend/probe-webgpu.ts), so that asking loads no Dawn. (vitest is imported here, not at the top, because
 * the benchmarks import this module's models outside vitest.)
 */
export async function webgpuUnavailable(): Promise<string | undefined> {
  const { inject } = await import('vitest');
  const answer = inject('webgpuUnavailable');
  if (answer === undefined) throw new Error('no WebGPU probe answer: run vitest with vitest.config.ts, whose globalSetup probes');
  return answer ?? undefined;
}

/** The webgpu backend for a test file (any adapter, lavapipe included), or why there is none; the caller disposes it. */
export async function openWebgpuForTests(): Promise<Backend | { unavailable: string }> {
  const missing = await webgpuUnavailable();
  return missing === undefined ? createBackendRegistry().tryOpen('webgpu', { allowSoftwareAdapter: true }) : { unavailable: missing };
}
