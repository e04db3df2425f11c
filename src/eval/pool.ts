/**
 * Runs every chunk of an evaluation job, on the main thread (threads = 1) or on worker threads, and sums the counts.
 * Chunks are handed out one at a time as workers become free, so uneven chunks still balance across cores.
 */
import { Worker } from 'node:worker_threads';
import type { PathTables } from '../model/paths.js';
import { chunkCount, chunkCounter, chunkSize, type EvalJob } from './kernel.js';

/**
 * Workers run eval-worker.ts from source. On Node 20 neither an inherited nor an explicit `execArgv: ['--import',
 * 'tsx']` applies tsx to a worker's entry module (it fails with "Unknown file extension .ts"), so each worker starts
 * from a small bootstrap that registers tsx through its API, as bin/mechcert.js does, and then imports the entry.
 * Both specifiers are resolved here to absolute URLs, so the bootstrap does not depend on the working directory.
 */
const WORKER_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./eval-worker.ts', import.meta.url).href)}); });`;

/** Sums the correct counts of every chunk; `onProgress(done, total)` counts sequences (or samples) finished. */
export async function runJob(tables: PathTables, job: EvalJob, threads: number, onProgress?: (done: number, total: number) => void): Promise<number> {
  if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer (got ${threads})`);
  const chunks = chunkCount(tables, job);
  let total = 0;
  for (let c = 0; c < chunks; c++) total += chunkSize(tables, job, c);
  if (threads === 1 || chunks === 1) return runInline(tables, job, chunks, total, onProgress);
  return runWorkers(tables, job, Math.min(threads, chunks), chunks, total, onProgress);
}

async function runInline(tables: PathTables, job: EvalJob, chunks: number, total: number, onProgress?: (done: number, total: number) => void): Promise<number> {
  const count = chunkCounter(tables, job);
  let correct = 0;
  let done = 0;
  for (let c = 0; c < chunks; c++) {
    correct += count(c);
    done += chunkSize(tables, job, c);
    onProgress?.(done, total);
    // Let timers and signal handlers run between chunks.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return correct;
}

function runWorkers(tables: PathTables, job: EvalJob, threads: number, chunks: number, total: number, onProgress?: (done: number, total: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let finished = 0;
    let done = 0;
    let correct = 0;
    let settled = false;
    const stop = (error?: unknown) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (error === undefined) resolve(correct);
      else reject(error instanceof Error ? error : new Error(String(error)));
    };
    const feed = (w: Worker) => {
      if (next < chunks) w.postMessage(next++);
    };
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: { tables, job } });
      workers.push(w);
      w.on('message', (msg: { chunk: number; correct: number }) => {
        correct += msg.correct;
        done += chunkSize(tables, job, msg.chunk);
        finished++;
        try {
          onProgress?.(done, total);
        } catch (e) {
          stop(e);
          return;
        }
        if (finished === chunks) stop();
        else feed(w);
      });
      w.on('error', (e) => stop(e));
      w.on('exit', (code) => {
        if (!settled) stop(new Error(`evaluation worker exited with code ${code} before the job finished`));
      });
      feed(w);
    }
  });
}
