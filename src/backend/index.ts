/**
 * Compute backends (docs/architecture.md §5). Callers create a registry with `createBackendRegistry()`, pass it where kernels run,
 * and open one backend from it:
 *
 *   const registry = createBackendRegistry();
 *   const backend = await registry.open('auto', { log: console.error });
 *   try { const { correct, total } = await backend.run('countCorrectExhaustive', { tables }); } finally { await backend.dispose(); }
 */
import { cpuBackend } from './cpu/index.js';
import { BackendRegistry } from './registry.js';
import { webgpuBackend } from './webgpu/index.js';

export * from './kernels.js';
export * from './registry.js';

/** A fresh registry holding the cpu and webgpu backends. Opening webgpu loads Dawn only then. */
export function createBackendRegistry(): BackendRegistry {
  return new BackendRegistry().register(cpuBackend).register(webgpuBackend);
}

/** Parses a `--backend` value. */
export function parseBackendChoice(value: string): 'cpu' | 'webgpu' | 'auto' {
  if (value === 'cpu' || value === 'webgpu' || value === 'auto') return value;
  throw new RangeError(`--backend must be one of cpu, webgpu, auto (got ${JSON.stringify(value)})`);
}
