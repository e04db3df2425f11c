/**
 * Prover and checker per strategy on a shipped K=4, V=64 model (models/max4-v64-s123.safetensors): wall time (the
 * harness's median), the checker's exact-operation count (the proof length), the certificate's size raw and gzip,
 * and the claimed count. Brute force runs once per bench (about 5–15 s each on two cores); cubic three times.
 * MECHCERT_BENCH_MODEL overrides the model; MECHCERT_BENCH_THREADS the threads of both prover and checker.
 * The cubic prover also runs with its case table on WebGPU when an adapter exists (lavapipe included), and brute force
 * with its scan there.
 */
import { availableParallelism } from 'node:os';
import { gzipSync } from 'node:zlib';
import { checkCertificate } from '../checker/check.js';
import { certificateBytes } from '../src/prove/certificate.js';
import { loadModelFile } from '../src/prove/load.js';
import { createBackendRegistry, type Backend } from '../src/backend/index.js';
import { getStrategy } from '../src/prove/registry.js';
import type { Bench } from './harness.js';

const modelPath = process.env.MECHCERT_BENCH_MODEL ?? new URL('../models/max4-v64-s123.safetensors', import.meta.url).pathname;
const threads = Number(process.env.MECHCERT_BENCH_THREADS ?? availableParallelism());
const certificates = new Map<string, Uint8Array>();

async function proveOnWebGPU(name: string): Promise<Record<string, number> | void> {
  const backend = await createBackendRegistry().tryOpen('webgpu', { allowSoftwareAdapter: true });
  if ('unavailable' in backend) {
    console.log(`webgpu: not run (${backend.unavailable})`);
    return;
  }
  try {
    return (await prove(name, backend)).figures;
  } finally {
    await backend.dispose();
  }
}

async function prove(name: string, backend?: Backend): Promise<{ bytes: Uint8Array; figures: Record<string, number> }> {
  const { model } = loadModelFile(modelPath);
  const strategy = await getStrategy(name);
  if (!strategy) throw new Error(`no strategy ${name}`);
  const result = await strategy.prove(model, { threads, backend }, () => {});
  const bytes = certificateBytes(result.certificate);
  certificates.set(name, bytes);
  return {
    bytes,
    figures: {
      'claimed correct': Number(result.certificate.claim.correct),
      'bound': Number(result.certificate.claim.correct) / Number(result.certificate.claim.total),
      'certificate bytes': bytes.length,
      'gzip bytes': gzipSync(bytes, { level: 9 }).length,
      ...Object.fromEntries(Object.entries(result.figures).filter((e): e is [string, number] => typeof e[1] === 'number')),
    },
  };
}

async function check(name: string): Promise<Record<string, number>> {
  const bytes = certificates.get(name) ?? (await prove(name)).bytes;
  const { bytes: modelBytes } = loadModelFile(modelPath);
  const v = await checkCertificate(bytes, modelBytes, { threads });
  if (!v.verified) throw new Error(`${name} certificate rejected: ${v.error.message}`);
  return { 'checker ops': Number(v.checkerOps), 'certificate bytes': v.certificateBytes, 'proved': Number(v.counted) };
}

export const benches: Bench[] = [
  { name: 'prove/cubic K=4 V=64', repeats: 3, run: async () => (await prove('cubic')).figures },
  { name: 'prove/cubic K=4 V=64 --backend webgpu', repeats: 3, run: () => proveOnWebGPU('cubic') },
  { name: 'check/cubic K=4 V=64', repeats: 3, run: () => check('cubic') },
  { name: 'prove/brute-force K=4 V=64', repeats: 1, run: async () => (await prove('brute-force')).figures },
  { name: 'prove/brute-force K=4 V=64 --backend webgpu', repeats: 1, run: () => proveOnWebGPU('brute-force') },
  { name: 'check/brute-force K=4 V=64', repeats: 1, run: () => check('brute-force') },
];
