/**
 * The sweep end to end on tiny models (K=2, V=4, d=8, 60 training steps, 2 seeds): on worker threads, then through
 * BullMQ on a real redis-server with two `mechcert worker` processes (each with its own cache, as on two machines);
 * both must give identical results (everything but wall times). A rerun resumes from the cache without running jobs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStrategies } from '../../src/report/report.js';
import type { ProofMetrics } from '../../src/report/metrics.js';
import { ThreadPool } from '../../src/sweep/pool.js';
import { QueueExecutor } from '../../src/sweep/queue.js';
import { runSweep, type SweepOptions, type SweepSummary } from '../../src/sweep/sweep.js';
import { REDIS_MISSING, redisServerPath, startRedis, type RedisServer } from './redis.js';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'mechcert-sweep-test-'));
const TRAIN = { dModel: 8, dHead: 8, steps: 60, batch: 32, lr: 1e-2 };
const SEEDS = [3, 7];
let strategies: string[] = [];

function options(name: string, executor: SweepOptions['executor']): SweepOptions {
  return { seeds: SEEDS, ks: [2], vocab: 4, train: TRAIN, strategies, executor, cacheDir: join(tmp, `${name}-cache`), outDir: join(tmp, `${name}-out`), png: false, modelPlots: 1, log: () => {} };
}

/** Results without wall times, in a fixed order. */
function comparable(dir: string): Array<Omit<ProofMetrics, 'proverSeconds' | 'checkerSeconds'>> {
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { rows: Array<ProofMetrics & Record<string, unknown>> };
  return report.rows
    .map(({ proverSeconds: _p, checkerSeconds: _c, ...rest }) => rest)
    .sort((a, b) => a.modelSha256.localeCompare(b.modelSha256) || a.strategy.localeCompare(b.strategy));
}

let threadRun: SweepSummary;

beforeAll(async () => {
  strategies = await resolveStrategies(['brute-force', 'cubic', 'subcubic/max_diff_exact/mean_query+diff/*']);
  const pool = new ThreadPool(2, join(tmp, 'threads-cache'));
  try {
    threadRun = await runSweep(options('threads', pool));
  } finally {
    await pool.close();
  }
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sweep on worker threads', () => {
  it('trains, proves, checks and reports every (seed, strategy)', () => {
    expect(strategies.length).toBe(12);
    expect(threadRun.failures).toEqual([]);
    expect(threadRun.jobs).toMatchObject({ total: SEEDS.length * (1 + strategies.length), failed: 0, skipped: 0, cached: 0 });
    const rows = comparable(join(tmp, 'threads-out'));
    expect(rows).toHaveLength(SEEDS.length * strategies.length);
    expect(rows.every((r) => r.verified)).toBe(true);
    // Brute force is exact: every other strategy's bound is at most it.
    for (const r of rows) {
      const bf = rows.find((x) => x.modelSha256 === r.modelSha256 && x.strategy === 'brute-force');
      expect(bf).toBeDefined();
      expect(BigInt(r.correct)).toBeLessThanOrEqual(BigInt(bf?.correct ?? '0'));
    }
    for (const f of ['report.md', 'rows.csv', 'groups.csv', 'report.json', 'frontier.svg', 'groups.svg', 'sweep.json']) expect(existsSync(join(tmp, 'threads-out', f))).toBe(true);
  });

  it('resumes from its cache: a rerun runs no job and reports the same', async () => {
    const pool = new ThreadPool(1, join(tmp, 'threads-cache'));
    let again: SweepSummary;
    try {
      again = await runSweep({ ...options('threads', pool), outDir: join(tmp, 'threads-again') });
    } finally {
      await pool.close();
    }
    expect(again.jobs.cached).toBe(again.jobs.total);
    expect(comparable(join(tmp, 'threads-again'))).toEqual(comparable(join(tmp, 'threads-out')));
  });
});

const haveRedis = redisServerPath() !== null;
const inCi = process.env.CI === 'true' || process.env.CI === '1';

describe('sweep through BullMQ on redis-server', () => {
  if (!haveRedis && !inCi) {
    it.skip(`skipped locally: ${REDIS_MISSING}`, () => {});
    return;
  }

  let redis: RedisServer | undefined;
  const workers: ChildProcess[] = [];
  const workerLogs: string[] = [];

  beforeAll(async () => {
    if (!haveRedis) throw new Error(`CI requires redis-server for the BullMQ tests: ${REDIS_MISSING}`);
    redis = await startRedis();
    for (const name of ['w1', 'w2']) {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'mechcert.js'), 'worker', '--redis', redis.url, '--queue', 'mechcert-test', '--cache', join(tmp, `${name}-cache`)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d: Buffer) => workerLogs.push(`${name}: ${d.toString()}`));
      child.stderr?.on('data', (d: Buffer) => workerLogs.push(`${name}: ${d.toString()}`));
      workers.push(child);
    }
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
      if (w.exitCode !== null || w.signalCode !== null) return resolve();
      w.once('exit', () => resolve());
      w.kill('SIGTERM');
    })));
    await redis?.stop();
  });

  it('gives identical results to the worker-thread run, with the jobs spread over two workers', async () => {
    if (!redis) throw new Error('redis-server did not start');
    const executor = await QueueExecutor.connect(redis.url, 'mechcert-test');
    let run: SweepSummary;
    try {
      run = await runSweep(options('bullmq', executor));
    } finally {
      await executor.close();
    }
    expect(run.failures, workerLogs.join('')).toEqual([]);
    expect(run.jobs).toMatchObject({ total: threadRun.jobs.total, failed: 0, cached: 0 });
    expect(comparable(join(tmp, 'bullmq-out'))).toEqual(comparable(join(tmp, 'threads-out')));
    // Both workers took jobs (each writes results into its own cache).
    const log = workerLogs.join('');
    expect(log).toMatch(/w1: worker: prove-/);
    expect(log).toMatch(/w2: worker: prove-/);
  });
});
