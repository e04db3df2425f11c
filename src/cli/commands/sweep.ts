/**
 * `mechcert sweep`: train → prove → check → report over seeds (default: the paper's 151, PAPER.md §1) and K values,
 * on worker threads (default) or through BullMQ workers (`--redis URL`, workers: `mechcert worker --redis URL`).
 * Resumes after an interruption from its cache; prints progress and, at the end, a summary of failures. `--backend`
 * is resolved here once (auto → webgpu on a hardware adapter, else cpu) and every job gets the concrete name.
 * Exit code 0 when every job succeeded, 1 when some failed (the report is written either way), 2 on usage errors.
 */
import { Option, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { JobExecutor } from '../../sweep/pool.js';
import { BACKEND_FLAG_HELP, openBackendFlag, parseBackendFlag } from '../backend.js';
import { UsageError } from '../errors.js';
import { addLazyDefaultOption, defaultCacheDir, defaultQueue } from '../lazy.js';
import { parseCount, parseList } from './report.js';
import { addTrainingOptions } from './train.js';

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

function parseIntList(flag: string, raw: string, min: number): number[] {
  const items = parseList(raw) ?? [];
  if (items.length === 0) throw new UsageError(`${flag} needs at least one value`);
  return [...new Set(items.map((s) => parseCount(flag, s, min)))];
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
      if (!raw.out) throw new UsageError('--out is required');
      if (raw.seeds !== undefined && raw.n !== undefined) throw new UsageError('give --seeds or --n, not both');
      const { PAPER_SEEDS } = await import('../../report/paper.js');
      const seeds = raw.seeds !== undefined ? parseIntList('--seeds', raw.seeds, 0) : PAPER_SEEDS.slice(0, raw.n !== undefined ? parseCount('--n', raw.n, 1) : PAPER_SEEDS.length);
      const ks = parseIntList('--k', raw.k, 1);
      const vocab = parseCount('--vocab', raw.vocab, 2);
      const lr = Number(raw.lr);
      if (!Number.isFinite(lr) || lr <= 0) throw new UsageError(`--lr must be a positive number (got ${JSON.stringify(raw.lr)})`);
      const train = { dModel: parseCount('--d-model', raw.dModel, 1), dHead: parseCount('--d-head', raw.dHead, 1), steps: parseCount('--steps', raw.steps, 1), batch: parseCount('--batch', raw.batch, 1), lr };
      const [{ resolveStrategies }, { fmtMeanStd }, { ThreadPool }, { QueueExecutor }, { failureSummary, runSweep }, { formatDuration }] = await Promise.all([
        import('../../report/report.js'), import('../../report/tables.js'), import('../../sweep/pool.js'), import('../../sweep/queue.js'),
        import('../../sweep/sweep.js'), import('../../sweep/progress.js'),
      ]);
      const strategies = await resolveStrategies(parseList(raw.strategies));
      if (strategies.length === 0) throw new UsageError('no strategies to run (none registered, or none matched --strategies)');
      const choice = await parseBackendFlag(raw.backend);
      // Opened here only to resolve auto and to refuse a missing adapter up front; each job thread opens its own.
      const probe = await openBackendFlag(choice, 'sweep');
      const backend = probe.name;
      await probe.dispose();
      const executor: JobExecutor = raw.redis
        ? await QueueExecutor.connect(raw.redis, raw.queue)
        : new ThreadPool(raw.workers !== undefined ? parseCount('--workers', raw.workers, 1) : availableParallelism(), raw.cache);
      const abort = new AbortController();
      const onSigint = () => {
        if (abort.signal.aborted) process.exit(130);
        process.stderr.write('\nsweep: interrupted: finishing running jobs (press Ctrl-C again to quit now); rerun the same command to resume\n');
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      process.stderr.write(`sweep: ${seeds.length} seed(s) × K ∈ {${ks.join(', ')}} × ${strategies.length} strateg${strategies.length === 1 ? 'y' : 'ies'} on ${executor.description}, backend ${backend}\n`);
      let summary;
      try {
        summary = await runSweep({ seeds, ks, vocab, train, backend, strategies, executor, cacheDir: raw.cache, outDir: raw.out, threadsPerJob: parseCount('--threads', raw.threads, 1), modelPlots: parseCount('--model-plots', raw.modelPlots, 0), png: raw.png, signal: abort.signal });
      } finally {
        process.off('SIGINT', onSigint);
        await executor.close();
      }
      for (const g of summary.report?.groups ?? []) {
        const paper = g.paper?.normalized ? `  (paper ${fmtMeanStd(g.paper.normalized, 3)})` : '';
        process.stdout.write(`K=${g.k} V=${g.vocab}  ${g.group.padEnd(40)} normalized ${fmtMeanStd(g.normalizedBound)} over ${g.models} model(s)${paper}\n`);
      }
      const j = summary.jobs;
      process.stdout.write(`sweep: ${formatDuration(summary.wallSeconds)} wall; ${j.total} jobs: ${j.done} done (${j.cached} cached), ${j.failed} failed, ${j.skipped} not run${summary.interrupted ? ' (interrupted; rerun to resume)' : ''}\n`);
      process.stdout.write(`${failureSummary(summary.failures)}\n`);
      process.stdout.write(`report: ${join(raw.out, 'report.md')}\n`);
      process.exit(summary.failures.length > 0 || summary.interrupted ? 1 : 0);
    });
}
