/**
 * `mechcert sweep`: train → prove → check → report over seeds (default: the paper's 151, docs/paper.md §3.2) and K values,
 * on worker threads (default) or through BullMQ workers (`--redis URL`, workers: `mechcert worker --redis URL`).
 * Resumes after an interruption from its cache; prints progress and, at the end, a summary of failures. `--backend`
 * is resolved here once (auto → webgpu on a hardware adapter, else cpu) and every job gets the concrete name.
 * Every flag, strategy name, path and the backend are checked before any job starts. Ctrl-C stops submitting jobs and
 * waits for the running ones, whose results are cached (a second Ctrl-C stops them too); it then says what the cache
 * holds and ends as interrupted (src/cli/interrupt.ts) without writing a report: the same command resumes from the cache.
 * Exit code 0 when every job succeeded, 1 when some failed (the report is written either way), 2 on usage errors,
 * 130 (SIGINT) when interrupted.
 */
import { Option, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BackendName } from '../../backend/registry.js';
import type { TrainSettings } from '../../sweep/cache.js';
import type { JobExecutor } from '../../sweep/pool.js';
import type { SweepOptions } from '../../sweep/sweep.js';
import { checkOutputPath } from '../../util/atomic.js';
import { BACKEND_FLAG_HELP, openBackendFlag, parseBackendFlag } from '../backend.js';
import { UsageError } from '../errors.js';
import { exitInterrupted, onInterrupt } from '../interrupt.js';
import { addLazyDefaultOption, defaultCacheDir, defaultQueue } from '../lazy.js';
import { resolveStrategiesFlag } from '../strategy-names.js';
import { parseCount, parseList } from './report.js';
import { addTrainingOptions } from './train.js';
import { checkRedisFlag } from './worker.js';

interface RawOptions {
  seeds?: string;
  n?: string;
  k: string;
  vocab: string;
  strategies?: string;
  workers?: string;
  redis?: string;
  queue: string;
  out?: string;
  cache: string;
  threads: string;
  png: boolean;
  modelPlots: string;
  dModel: string;
  dHead: string;
  steps: string;
  batch: string;
  lr: string;
  backend: string;
}

/** Everything the sweep needs but its executor, from the flags. */
type Plan = Omit<SweepOptions, 'executor' | 'backend' | 'signal' | 'log'> & { workers: number };

function parseIntList(flag: string, raw: string, min: number): number[] {
  const items = parseList(raw) ?? [];
  if (items.length === 0) throw new UsageError(`${flag} needs at least one value`);
  return [...new Set(items.map((s) => parseCount(flag, s, min)))];
}

async function parseSeeds(raw: RawOptions): Promise<number[]> {
  if (raw.seeds !== undefined && raw.n !== undefined) throw new UsageError('give --seeds or --n, not both');
  if (raw.seeds !== undefined) return parseIntList('--seeds', raw.seeds, 0);
  const { PAPER_SEEDS } = await import('../../report/paper.js');
  const n = raw.n === undefined ? PAPER_SEEDS.length : parseCount('--n', raw.n, 1);
  if (n > PAPER_SEEDS.length) throw new UsageError(`--n must be at most ${PAPER_SEEDS.length}, the number of the paper's seeds (got ${n}); give more with --seeds`);
  return PAPER_SEEDS.slice(0, n);
}

function parseTraining(raw: RawOptions): Omit<TrainSettings, 'k' | 'vocab' | 'seed' | 'backend'> {
  const lr = raw.lr.trim() === '' ? NaN : Number(raw.lr);
  if (!Number.isFinite(lr) || lr <= 0) throw new UsageError(`--lr must be a positive number (got ${JSON.stringify(raw.lr)})`);
  return { dModel: parseCount('--d-model', raw.dModel, 1), dHead: parseCount('--d-head', raw.dHead, 1), steps: parseCount('--steps', raw.steps, 1), batch: parseCount('--batch', raw.batch, 1), lr };
}

/** Every flag, path and strategy name, checked before any work: a mistake is a UsageError (one line, exit code 2). */
async function parsePlan(raw: RawOptions): Promise<Plan> {
  if (!raw.out) throw new UsageError('--out is required');
  // The folders must be (or become) directories: refused now rather than when the first result or the report is written.
  checkOutputPath(join(raw.out, 'report.md'));
  checkOutputPath(join(raw.cache, 'models', 'model.safetensors'));
  if (raw.redis !== undefined) await checkRedisFlag(raw.redis);
  return {
    seeds: await parseSeeds(raw),
    ks: parseIntList('--k', raw.k, 1),
    vocab: parseCount('--vocab', raw.vocab, 2),
    train: parseTraining(raw),
    strategies: await resolveStrategiesFlag(parseList(raw.strategies)),
    cacheDir: raw.cache,
    outDir: raw.out,
    threadsPerJob: parseCount('--threads', raw.threads, 1),
    modelPlots: parseCount('--model-plots', raw.modelPlots, 0),
    png: raw.png,
    workers: raw.workers !== undefined ? parseCount('--workers', raw.workers, 1) : availableParallelism(),
  };
}

/** The concrete backend `--backend` names (auto resolved once, so that every job agrees); a missing adapter is refused. */
/** The BullMQ executor on `url`, or one line (exit 2) when Redis does not answer there. */
async function connectQueue(url: string, queueName: string): Promise<JobExecutor> {
  const { QueueExecutor, RedisUnreachableError } = await import('../../sweep/queue.js');
  try {
    return await QueueExecutor.connect(url, queueName);
  } catch (e) {
    if (e instanceof RedisUnreachableError) throw new UsageError(e.message);
    throw e;
  }
}

async function resolveBackend(raw: string): Promise<BackendName> {
  const choice = await parseBackendFlag(raw);
  // Opened here only to resolve auto and to refuse a missing adapter up front; each job thread opens its own.
  const probe = await openBackendFlag(choice, 'sweep');
  await probe.dispose();
  return probe.name;
}

/**
 * What an interrupted sweep leaves: what the cache holds of its work, and how to resume. `stopped` says what the
 * second Ctrl-C cut short, if one came.
 */
async function interruptedLines(plan: Plan & { backend: BackendName }, stopped = ''): Promise<string[]> {
  const { savedWork } = await import('../../sweep/sweep.js');
  const saved = savedWork(plan);
  const names = saved.models.length > 6 ? `${saved.models.slice(0, 6).join(', ')}, …` : saved.models.join(', ');
  const left = saved.modelsTotal - saved.models.length + saved.proofsTotal - saved.proofs;
  return [
    `interrupted${stopped}; no report was written to ${plan.outDir}`,
    `saved in ${plan.cacheDir}: ${saved.models.length} of ${saved.modelsTotal} trained models${names ? ` (${names})` : ''}, ${saved.proofs} of ${saved.proofsTotal} checked proofs`,
    `to resume, run the same command again: it takes these from the cache and runs the ${left} job${left === 1 ? '' : 's'} left`,
  ];
}

/**
 * Ctrl-C during the sweep: the first stops it from starting jobs (`abort`) and lets the running ones finish, so that
 * their results are cached; the second ends the sweep at once. A thread pool drops its queued jobs; a shared BullMQ
 * queue keeps those already sent to it, and its workers go on with them.
 */
function trapInterrupts(plan: Plan & { backend: BackendName }, executor: JobExecutor, abort: AbortController): () => Promise<void> {
  const pool = executor.cancelQueued !== undefined;
  return onInterrupt(() => {
    if (abort.signal.aborted) {
      const stopped = pool ? ', and the running jobs stopped (their work is lost)' : ', and stopped waiting (the queue\'s workers go on with its jobs)';
      void interruptedLines(plan, stopped).then((lines) => exitInterrupted('sweep', lines));
      return;
    }
    const waiting = pool ? 'no new job starts; waiting for the running ones' : 'no new job is sent to the queue; waiting for those in it';
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}sweep: interrupted: ${waiting}, whose results are cached (Ctrl-C again to stop now)\n`);
    abort.abort();
  });
}

export function register(program: Command): void {
  const command = program
    .command('sweep')
    .description('Train, prove, check and report over seeds and K values, on worker threads or BullMQ workers; resumes from its cache.')
    .option('--seeds <list>', "comma-separated seeds (default: the paper's 151 seeds)")
    .option('--n <count>', "the first N of the paper's seeds")
    .option('--k <list>', 'comma-separated K values', '4')
    .option('--vocab <n>', 'vocabulary size V', '64')
    .option('--strategies <list>', 'comma-separated strategy names, `*` matches any text; default: every registered strategy')
    .option('--workers <n>', 'worker threads (default: every core); ignored with --redis')
    .option('--redis <url>', 'run the jobs through BullMQ on this Redis (start workers with `mechcert worker --redis URL`)');
  addLazyDefaultOption(command, new Option('--queue <name>', 'BullMQ queue name'), defaultQueue)
    .option('--out <dir>', 'report folder');
  addLazyDefaultOption(command, new Option('--cache <dir>', 'cache of trained models and results (reruns resume)'), defaultCacheDir)
    .option('--threads <n>', 'threads each proof and check may use inside its job', '1')
    .option('--no-png', 'write SVG only')
    .option('--model-plots <n>', 'per-model EQKE pictures for at most this many models', '3')
    .option('--backend <name>', `${BACKEND_FLAG_HELP}: for the training gradients (webgpu: float32, another model) and the provers' search`, 'cpu');
  addTrainingOptions(command)
    .action(async (raw: RawOptions) => {
      const plan = { ...(await parsePlan(raw)), backend: await resolveBackend(raw.backend) };
      const [{ fmtMeanStd }, { ThreadPool }, { failureSummary, runSweep }, { formatDuration }] = await Promise.all([
        import('../../report/tables.js'), import('../../sweep/pool.js'), import('../../sweep/sweep.js'), import('../../sweep/progress.js'),
      ]);
      const executor: JobExecutor = raw.redis ? await connectQueue(raw.redis, raw.queue) : new ThreadPool(plan.workers, plan.cacheDir);
      const abort = new AbortController();
      const untrap = trapInterrupts(plan, executor, abort);
      process.stderr.write(`sweep: ${plan.seeds.length} seed(s) × K ∈ {${plan.ks.join(', ')}} × ${plan.strategies.length} strateg${plan.strategies.length === 1 ? 'y' : 'ies'} on ${executor.description}, backend ${plan.backend}\n`);
      let summary;
      try {
        summary = await runSweep({ ...plan, executor, signal: abort.signal });
      } finally {
        await executor.close();
      }
      if (summary.interrupted) exitInterrupted('sweep', await interruptedLines(plan));
      await untrap();
      for (const g of summary.report?.groups ?? []) {
        const paper = g.paper?.normalized ? `  (paper ${fmtMeanStd(g.paper.normalized, 3)})` : '';
        process.stdout.write(`K=${g.k} V=${g.vocab}  ${g.group.padEnd(40)} normalized ${fmtMeanStd(g.normalizedBound)} over ${g.models} model(s)${paper}${g.notRun ? `; ${g.notRun}` : ''}\n`);
      }
      const j = summary.jobs;
      process.stdout.write(`sweep: ${formatDuration(summary.wallSeconds)} wall; ${j.total} jobs: ${j.done} done (${j.cached} cached), ${j.failed} failed\n`);
      process.stdout.write(`${failureSummary(summary.failures)}\n`);
      process.stdout.write(summary.report ? `report: ${join(plan.outDir, 'report.md')}\n` : `no report: no proof was checked (${join(plan.outDir, 'sweep.json')} lists the failures)\n`);
      process.exit(summary.failures.length > 0 ? 1 : 0);
    });
}
