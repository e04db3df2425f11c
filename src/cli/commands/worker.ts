/**
 * `mechcert worker --redis URL`: takes sweep jobs from the BullMQ queue on Redis and runs them on worker threads
 * (src/sweep/queue.ts) until interrupted (SIGINT or SIGTERM: stops taking jobs, finishes running ones, exits 0).
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { addLazyDefaultOption, defaultCacheDir, defaultQueue } from '../lazy.js';
import { parseCount } from './report.js';

interface RawOptions {
  redis?: string;
  queue: string;
  concurrency: string;
  cache: string;
}

/** Refuses a `--redis` value that is not a redis:// or rediss:// URL, in one line (exit code 2), before connecting. */
export async function checkRedisFlag(url: string): Promise<void> {
  const { connectionFromUrl } = await import('../../sweep/queue.js');
  try {
    connectionFromUrl(url);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function register(program: Command): void {
  const command = program
    .command('worker')
    .description('Run sweep jobs (train, prove, check) from a BullMQ queue on Redis, for `mechcert sweep --redis URL`.')
    .option('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379');
  addLazyDefaultOption(command, new Option('--queue <name>', 'queue name (must match the sweep\'s)'), defaultQueue)
    .option('--concurrency <n>', 'jobs run at once, each on its own thread', '1');
  addLazyDefaultOption(command, new Option('--cache <dir>', 'this machine\'s cache of trained models and results'), defaultCacheDir)
    .action(async (raw: RawOptions) => {
      if (!raw.redis) throw new UsageError('--redis is required');
      await checkRedisFlag(raw.redis);
      const { startQueueWorker } = await import('../../sweep/queue.js');
      const worker = await startQueueWorker({ url: raw.redis, queueName: raw.queue, concurrency: parseCount('--concurrency', raw.concurrency, 1), cacheDir: raw.cache });
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          process.stderr.write(`worker: ${sig}: finishing running jobs, then exiting\n`);
          worker.close().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      process.exit(0);
    });
}
