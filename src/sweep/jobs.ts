/**
 * The sweep's two kinds of job, as plain JSON so that the same payload runs on a worker thread or on a BullMQ
 * worker on another machine (model bytes travel in the job, base64):
 *
 * - train: settings → the trained model's bytes (trained with src/train/train.ts exactly as `mechcert train` does,
 *   on the settings' backend, accuracy recorded in the metadata where V^K ≤ 2^31, as `mechcert train` does), cached on the machine that ran it
 *   by its settings;
 * - prove: model bytes + strategy → the checked proof's metrics (src/report/metrics.ts runProof) and the gzipped
 *   certificate, cached on the machine that ran it by model SHA-256 + strategy. A prove job's backend only changes
 *   how the prover searches (its results are hints; the checker decides), so it is not part of the cache key.
 *
 * Jobs are deterministic: the same job gives the same result on any executor, except for wall times (and, for
 * webgpu training, float32 rounding that may differ between GPU models).
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseModel, readModelBytes, serializeModel, sha256Hex, writeModel } from '../model/model.js';
import { evaluateExhaustive, MAX_EXHAUSTIVE_SEQUENCES } from '../eval/exhaustive.js';
import { train, trainOnBackend } from '../train/train.js';
import { createBackendRegistry, type Backend, type BackendName } from '../backend/index.js';
import { getStrategy } from '../prove/registry.js';
import { runProof, type ProofMetrics } from '../report/metrics.js';
import { SweepCache, strategyFileName, settingsKey, type TrainSettings } from './cache.js';


export interface TrainJob {
  kind: 'train';
  settings: TrainSettings;
}

export interface ProveJob {
  kind: 'prove';
  modelBase64: string;
  modelSha256: string;
  modelLabel: string;
  strategy: string;
  /** Threads the prover and checker may use inside this job (the sweep's default is 1). */
  threads: number;
  /** Backend the prover may use for its search (default cpu: the strategies' own CPU code). */
  backend?: BackendName;
}

export type SweepJob = TrainJob | ProveJob;

export interface TrainResult {
  kind: 'train';
  modelBase64: string;
  modelSha256: string;
  trainSeconds: number;
  /** True when the model came from the cache of the machine that ran the job. */
  cached: boolean;
}

export interface ProveResult {
  kind: 'prove';
  metrics: ProofMetrics;
  /** The gzipped certificate (base64), or null when there was none or it was over MAX_CERTIFICATE_GZIP_BYTES. */
  certificateGzipBase64: string | null;
  cached: boolean;
}

export type SweepJobResult = TrainResult | ProveResult;

/** Certificates larger than this (gzipped) stay in the cache of the machine that produced them. */
export const MAX_CERTIFICATE_GZIP_BYTES = 16 * 1024 * 1024;

/** A stable id per job (also the BullMQ job id, so that re-adding a job after an interruption finds the old one). */
export function jobId(job: SweepJob): string {
  if (job.kind === 'train') {
    const s = job.settings;
    return `train-k${s.k}-v${s.vocab}-s${s.seed}-${settingsKey(s)}`;
  }
  return `prove-${job.modelSha256}-${strategyFileName(job.strategy)}`;
}

export function modelLabel(s: TrainSettings): string {
  return `max${s.k}-v${s.vocab}-s${s.seed}`;
}

/**
 * The GPU backends of one thread that runs jobs: each is opened on the first job that asks for it and kept for the
 * later ones (opening a device and compiling its kernels costs more than a small job). cpu jobs open nothing: they run
 * the CPU code directly. `close` disposes them; an open WebGPU device otherwise keeps the thread alive.
 */
export class JobBackends {
  private readonly opened = new Map<BackendName, Promise<Backend>>();

  /** The opened backend for `name`, or undefined for cpu. A failed open is retried by the next job. */
  async get(name: BackendName | undefined): Promise<Backend | undefined> {
    if (name === undefined || name === 'cpu') return undefined;
    let backend = this.opened.get(name);
    if (!backend) {
      backend = createBackendRegistry().open(name);
      this.opened.set(name, backend);
      backend.catch(() => this.opened.delete(name));
    }
    return backend;
  }

  async close(): Promise<void> {
    const all = [...this.opened.values()];
    this.opened.clear();
    await Promise.all(all.map((p) => p.then((b) => b.dispose(), () => undefined)));
  }
}

export async function runJob(job: SweepJob, cacheDir: string, backends: JobBackends): Promise<SweepJobResult> {
  const cache = new SweepCache(cacheDir);
  if (job.kind === 'train') {
    const path = cache.modelPath(job.settings);
    if (existsSync(path)) {
      const bytes = Buffer.from(readModelBytes(path));
      return { kind: 'train', modelBase64: bytes.toString('base64'), modelSha256: sha256Hex(bytes), trainSeconds: 0, cached: true };
    }
    const t0 = performance.now();
    const backend = await backends.get(job.settings.backend);
    const { model } = backend ? await trainOnBackend(job.settings, backend) : train(job.settings);
    const sequences = job.settings.vocab ** job.settings.k;
    if (sequences <= MAX_EXHAUSTIVE_SEQUENCES) {
      // One thread: the sweep already runs one job per core.
      const { correct, total, accuracy } = await evaluateExhaustive(parseModel(serializeModel(model)), { threads: 1 });
      model.metadata.accuracy = String(accuracy);
      model.metadata.accuracy_sequences = `${correct}/${total}`;
    }
    writeModel(path, model);
    const bytes = readFileSync(path);
    return { kind: 'train', modelBase64: bytes.toString('base64'), modelSha256: sha256Hex(bytes), trainSeconds: (performance.now() - t0) / 1000, cached: false };
  }
  const cachedMetrics = cache.readResult<ProofMetrics>(job.modelSha256, job.strategy);
  if (cachedMetrics) {
    const certPath = cache.certificatePath(job.modelSha256, job.strategy);
    const gz = existsSync(certPath) ? readFileSync(certPath) : null;
    return { kind: 'prove', metrics: { ...cachedMetrics, modelLabel: job.modelLabel }, certificateGzipBase64: gz && gz.length <= MAX_CERTIFICATE_GZIP_BYTES ? gz.toString('base64') : null, cached: true };
  }
  const bytes = Buffer.from(job.modelBase64, 'base64');
  if (sha256Hex(bytes) !== job.modelSha256) throw new Error(`job ${jobId(job)}: model bytes do not match their SHA-256`);
  // Only strategies with backend kernels get (and so open) the backend.
  const usesKernels = ((await getStrategy(job.strategy))?.backendKernels ?? []).length > 0;
  const run = await runProof(bytes, job.strategy, { threads: job.threads, modelLabel: job.modelLabel, backend: usesKernels ? await backends.get(job.backend) : undefined });
  cache.writeResult(job.modelSha256, job.strategy, run.metrics);
  if (run.certificateGzip) cache.writeCertificateGzip(job.modelSha256, job.strategy, run.certificateGzip);
  const gz = run.certificateGzip;
  return { kind: 'prove', metrics: run.metrics, certificateGzipBase64: gz && gz.length <= MAX_CERTIFICATE_GZIP_BYTES ? Buffer.from(gz).toString('base64') : null, cached: false };
}
