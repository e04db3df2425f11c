/**
 * `mechcert sweep`: train → prove → check → report over seeds × K values, through a JobExecutor (a worker-thread pool
 * here, or BullMQ workers anywhere). The coordinator keeps its own cache (src/sweep/cache.ts) of models and results, so
 * a rerun after an interruption submits only what is missing; executors keep theirs too.
 *
 * Pipeline per (K, seed): a train job (skipped when the model is cached), then one prove job per strategy (skipped when
 * the result is cached). With a backend other than cpu, training computes its gradients there (another model, cached
 * under another key) and proofs may use it for their search. Failures never stop the sweep: each is recorded, and the
 * prove jobs of a model whose training failed are counted as failed with that reason.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseModel, readModelBytes, sha256Hex, type Model } from '../model/model.js';
import { writeFileAtomic } from '../util/atomic.js';
import { isNotRun, type ProofMetrics } from '../report/metrics.js';
import { writeReportFromMetrics, type ReportResult } from '../report/report.js';
import type { BackendName } from '../backend/registry.js';
import { SweepCache, type TrainSettings } from './cache.js';
import { jobId, modelLabel, type ProveJob, type SweepJob } from './jobs.js';
import type { JobExecutor } from './pool.js';
import { Progress } from './progress.js';

export interface SweepOptions {
  seeds: number[];
  ks: number[];
  vocab: number;
  /** Training settings other than K, V, the seed and the backend. */
  train: Omit<TrainSettings, 'k' | 'vocab' | 'seed' | 'backend'>;
  /**
   * A concrete backend (never `auto`: resolve it once, before, so that every job agrees) for the train jobs and the
   * prove jobs (default cpu). Each thread that runs jobs opens it on first use.
   */
  backend?: BackendName;
  strategies: string[];
  executor: JobExecutor;
  cacheDir: string;
  outDir: string;
  /** Threads each proof may use inside its job (default 1). */
  threadsPerJob?: number;
  /** Per-model EQKE pictures in the report (default 3). */
  modelPlots?: number;
  png?: boolean;
  log?: (line: string) => void;
  /** Set to stop submitting new jobs (e.g. on SIGINT); running ones finish; then no report is written. */
  signal?: AbortSignal;
}

export interface SweepFailure {
  job: string;
  model: string;
  strategy: string | null;
  error: string;
}

export interface SweepSummary {
  executor: string;
  backend: BackendName;
  wallSeconds: number;
  jobs: { total: number; done: number; cached: number; failed: number; skipped: number };
  failures: SweepFailure[];
  models: number;
  strategies: string[];
  interrupted: boolean;
  report: ReportResult | null;
}

function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.split('\n')[0];
}

/** The training settings of every model of the sweep, K by K, seed by seed. */
function sweepSettings(o: Pick<SweepOptions, 'seeds' | 'ks' | 'vocab' | 'train' | 'backend'>): TrainSettings[] {
  // cpu jobs carry no backend field, so that their ids, cache keys and BullMQ payloads are what they were before it.
  const onBackend = o.backend === undefined || o.backend === 'cpu' ? {} : { backend: o.backend };
  return o.ks.flatMap((k) => o.seeds.map((seed) => ({ k, vocab: o.vocab, seed, ...o.train, ...onBackend })));
}

/** What the cache holds of a sweep's work: its trained models (their labels) and the checked proofs of them. */
export interface SavedWork {
  models: string[];
  modelsTotal: number;
  proofs: number;
  proofsTotal: number;
}

/** Reads from the cache what a rerun of the sweep `o` would take from it instead of running its job. */
export function savedWork(o: Pick<SweepOptions, 'seeds' | 'ks' | 'vocab' | 'train' | 'backend' | 'strategies' | 'cacheDir'>): SavedWork {
  const cache = new SweepCache(o.cacheDir);
  const settings = sweepSettings(o);
  const saved: SavedWork = { models: [], modelsTotal: settings.length, proofs: 0, proofsTotal: settings.length * o.strategies.length };
  for (const s of settings) {
    const path = cache.modelPath(s);
    if (!existsSync(path)) continue;
    saved.models.push(modelLabel(s));
    const sha = sha256Hex(readModelBytes(path));
    saved.proofs += o.strategies.filter((strategy) => cache.readResult(sha, strategy) !== undefined).length;
  }
  return saved;
}

export async function runSweep(o: SweepOptions): Promise<SweepSummary> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cache = new SweepCache(o.cacheDir);
  const t0 = performance.now();
  const backend = o.backend ?? 'cpu';
  // Like the train jobs (sweepSettings), cpu prove jobs carry no backend field.
  const onBackend = backend === 'cpu' ? {} : { backend };
  const settings = sweepSettings(o);
  const total = settings.length * (1 + o.strategies.length);
  const progress = new Progress(total, log);
  const failures: SweepFailure[] = [];
  const metrics: ProofMetrics[] = [];
  const models = new Map<string, { model: Model; label: string }>();
  let skipped = 0;
  const aborted = () => o.signal?.aborted === true;
  // On interruption, jobs not yet started are dropped (counted as not run); running ones finish and are cached.
  o.signal?.addEventListener('abort', () => o.executor.cancelQueued?.(), { once: true });

  const oneModel = async (s: TrainSettings): Promise<void> => {
    const label = modelLabel(s);
    let bytes: Buffer;
    const path = cache.modelPath(s);
    if (existsSync(path)) {
      bytes = Buffer.from(readModelBytes(path));
      progress.done(true);
    } else {
      if (aborted()) {
        skipped += 1 + o.strategies.length;
        return;
      }
      const job: SweepJob = { kind: 'train', settings: s };
      try {
        const r = await o.executor.run(job);
        if (r.kind !== 'train') throw new Error(`expected a train result, got ${r.kind}`);
        bytes = Buffer.from(r.modelBase64, 'base64');
        if (sha256Hex(bytes) !== r.modelSha256) throw new Error('returned model bytes do not match their SHA-256');
        if (!existsSync(path)) writeFileAtomic(path, bytes);
        progress.done(r.cached);
      } catch (e) {
        if (aborted()) {
          skipped += 1 + o.strategies.length;
          return;
        }
        const error = `training failed: ${firstLine(e)}`;
        failures.push({ job: jobId(job), model: label, strategy: null, error });
        progress.failed(1 + o.strategies.length);
        for (const strategy of o.strategies) failures.push({ job: '(not run)', model: label, strategy, error });
        return;
      }
    }
    const model = parseModel(bytes);
    models.set(model.sha256, { model, label });
    const modelBase64 = bytes.toString('base64');
    await Promise.all(o.strategies.map(async (strategy) => {
      const hit = cache.readResult<ProofMetrics>(model.sha256, strategy);
      if (hit) {
        metrics.push({ ...hit, modelLabel: label });
        progress.done(true);
        return;
      }
      if (aborted()) {
        skipped++;
        return;
      }
      const job: ProveJob = { kind: 'prove', modelBase64, modelSha256: model.sha256, modelLabel: label, strategy, threads: o.threadsPerJob ?? 1, ...onBackend };
      try {
        const r = await o.executor.run(job);
        if (r.kind !== 'prove') throw new Error(`expected a prove result, got ${r.kind}`);
        cache.writeResult(model.sha256, strategy, r.metrics);
        if (r.certificateGzipBase64) cache.writeCertificateGzip(model.sha256, strategy, Buffer.from(r.certificateGzipBase64, 'base64'));
        metrics.push({ ...r.metrics, modelLabel: label });
        // A proof the strategy refused (the model is beyond its reach) is no failure: the report's group says why.
        if (r.metrics.verified || isNotRun(r.metrics)) progress.done(r.cached);
        else {
          failures.push({ job: jobId(job), model: label, strategy, error: r.metrics.error ?? 'not verified' });
          progress.failed(1);
        }
      } catch (e) {
        if (aborted()) {
          skipped++;
          return;
        }
        failures.push({ job: jobId(job), model: label, strategy, error: firstLine(e) });
        progress.failed(1);
      }
    }));
  };

  // Every model's pipeline is started at once; the executor's own queue bounds how much runs in parallel.
  await Promise.all(settings.map(oneModel));
  progress.finish();
  const wallSeconds = (performance.now() - t0) / 1000;
  const interrupted = aborted();

  const summary: SweepSummary = {
    executor: o.executor.description,
    backend,
    wallSeconds,
    jobs: { total, done: progress.doneCount, cached: progress.cachedCount, failed: progress.failedCount, skipped },
    failures,
    models: models.size,
    strategies: o.strategies,
    interrupted,
    report: null,
  };
  // An interrupted sweep writes no report: its cache holds what was done, and the same command resumes from there.
  if (interrupted) return summary;
  if (metrics.length > 0) {
    const notes = [
      '## Sweep',
      '',
      `Seeds: ${o.seeds.length} (${o.seeds.slice(0, 12).join(', ')}${o.seeds.length > 12 ? ', …' : ''}); K: ${o.ks.join(', ')}; V = ${o.vocab}; strategies: ${o.strategies.join(', ')}.`,
      `Executor: ${summary.executor}; backend: ${backend}${backend === 'cpu' ? '' : ' (float32 training gradients; proofs use it for hints only)'}. Wall time ${wallSeconds.toFixed(1)} s; jobs: ${total} in all, ${summary.jobs.done} done (${summary.jobs.cached} from cache), ${summary.jobs.failed} failed.`,
    ].join('\n');
    summary.report = await writeReportFromMetrics(metrics, models, o.outDir, { maxModelPlots: o.modelPlots ?? 3, png: o.png, title: 'mechcert sweep', notes, log, cacheDir: o.cacheDir });
  }
  writeFileAtomic(join(o.outDir, 'sweep.json'), `${JSON.stringify({ ...summary, report: summary.report ? { files: summary.report.files } : null }, null, 2)}\n`);
  return summary;
}

/** Failures, grouped by error text, for the end of a sweep. */
export function failureSummary(failures: SweepFailure[]): string {
  if (failures.length === 0) return 'no failures';
  const byError = new Map<string, SweepFailure[]>();
  for (const f of failures) byError.set(f.error, [...(byError.get(f.error) ?? []), f]);
  const lines = [`${failures.length} failure${failures.length === 1 ? '' : 's'}:`];
  for (const [error, fs] of byError) {
    const which = fs.slice(0, 6).map((f) => (f.strategy ? `${f.model}×${f.strategy}` : f.model)).join(', ');
    lines.push(`  ${fs.length} × ${error}`, `      ${which}${fs.length > 6 ? `, … (${fs.length - 6} more)` : ''}`);
  }
  return lines.join('\n');
}
