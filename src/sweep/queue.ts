/**
 * The sweep over BullMQ on Redis, to spread the same jobs over many machines: the coordinator (`mechcert sweep
 * --redis URL`) adds jobs to a queue and waits for their results; workers (`mechcert worker --redis URL`) take jobs,
 * run each on a worker thread (so that the event loop stays free to renew BullMQ's job lock while a job trains or
 * proves for minutes) and hand back the result. Job ids are stable (src/sweep/jobs.ts jobId): re-adding a job after an
 * interruption finds the finished one, retries a failed one, or waits for one still running.
 */
import { Job, Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import { jobId, type SweepJob, type SweepJobResult } from './jobs.js';
import { PROOF_CODE_FINGERPRINT, RESULT_CACHE_VERSION } from './cache.js';
import { ThreadPool, type JobExecutor } from './pool.js';

/** The default queue name; it carries the result-cache version so that results of an older format are never reused. */
export const DEFAULT_QUEUE = `mechcert-sweep-v${RESULT_CACHE_VERSION}-${PROOF_CODE_FINGERPRINT}`;

/** How long `sweep --redis` waits for Redis to answer before it says it cannot reach it (ioredis retries forever). */
export const REDIS_CONNECT_TIMEOUT_MS = 10_000;

/** Redis did not answer within REDIS_CONNECT_TIMEOUT_MS: a wrong URL, or no server running there. */
export class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError';
}

/** How long a worker's lock on a job lasts without renewal; renewed every half of it while the job runs. */
const LOCK_DURATION_MS = 120_000;

/** Parses redis://[user:password@]host[:port][/db] (rediss:// for TLS) into ioredis options. */
export function connectionFromUrl(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--redis: not a URL: ${JSON.stringify(url)} (expected redis://host:port)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--redis: unsupported scheme ${u.protocol} (expected redis:// or rediss://)`);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

export class QueueExecutor implements JobExecutor {
  readonly description: string;
  private constructor(private readonly queue: Queue, private readonly events: QueueEvents, url: string) {
    this.description = `BullMQ queue ${queue.name} on ${url.replace(/\/\/[^@]*@/, '//…@')}`;
  }

  static async connect(url: string, queueName: string = DEFAULT_QUEUE): Promise<QueueExecutor> {
    const connection = connectionFromUrl(url);
    const queue = new Queue(queueName, { connection });
    const events = new QueueEvents(queueName, { connection });
    // Many jobs wait at once; each adds a listener for the queue's closing (not a leak).
    queue.setMaxListeners(0);
    events.setMaxListeners(0);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnreachableError(
        `--redis: no answer from Redis at ${url.replace(/\/\/[^@]*@/, '//…@')} within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s: is a redis-server running there?`)), REDIS_CONNECT_TIMEOUT_MS);
    });
    try {
      await Promise.race([Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), timeout]);
    } catch (e) {
      // Stop ioredis's reconnecting, without waiting for a server that does not answer.
      void queue.disconnect().catch(() => undefined);
      void events.disconnect().catch(() => undefined);
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return new QueueExecutor(queue, events, url);
  }

  async run(job: SweepJob): Promise<SweepJobResult> {
    const id = jobId(job);
    let j = (await Job.fromId(this.queue, id)) as Job<SweepJob, SweepJobResult> | undefined;
    if (j) {
      const state = await j.getState();
      if (state === 'completed') return j.returnvalue;
      if (state === 'failed') await j.retry('failed');
    } else {
      j = await this.queue.add(job.kind, job, {
        jobId: id,
        attempts: 1,
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    }
    return (await j.waitUntilFinished(this.events)) as SweepJobResult;
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.close();
  }
}

export interface QueueWorkerOptions {
  url: string;
  queueName?: string;
  /** Jobs run at once on this machine, each on its own worker thread (default 1). */
  concurrency?: number;
  cacheDir: string;
  log?: (line: string) => void;
}

export interface RunningWorker {
  /** Stops taking jobs, lets running ones finish, and frees the threads. */
  close(): Promise<void>;
}

/** Starts a BullMQ worker that runs sweep jobs on a thread pool until closed. */
export async function startQueueWorker(o: QueueWorkerOptions): Promise<RunningWorker> {
  const concurrency = o.concurrency ?? 1;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const pool = new ThreadPool(concurrency, o.cacheDir);
  const worker = new Worker<SweepJob, SweepJobResult>(o.queueName ?? DEFAULT_QUEUE, async (job) => {
    const t0 = Date.now();
    try {
      const r = await pool.run(job.data);
      log(`worker: ${job.id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s${r.cached ? ' (cached)' : ''}`);
      return r;
    } catch (e) {
      log(`worker: ${job.id} FAILED: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      throw e;
    }
  }, { connection: connectionFromUrl(o.url), concurrency, lockDuration: LOCK_DURATION_MS });
  worker.on('error', (e) => log(`worker: ${e.message}`));
  await worker.waitUntilReady();
  log(`worker: listening on ${worker.name} with ${pool.description}`);
  return {
    async close() {
      await worker.close();
      await pool.close();
    },
  };
}
