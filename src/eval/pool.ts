/**
 * Runs every chunk of an evaluation job, on the calling thread and threads − 1 worker threads, and sums the counts.
 * Chunks are handed out one at a time as threads become free, so uneven chunks still balance across cores.
 */
import type { Worker } from 'node:worker_threads';
import type { PathTables } from '../model/paths.js';
import { startWorker } from '../util/worker.js';
import { chunkCount, chunkCounter, chunkSize, type EvalJob } from './kernel.js';

/**
 * Sums the correct counts of every chunk; `onProgress(done, total)` counts sequences (or samples) finished. The
 * calling thread counts chunks too, beside threads − 1 workers: it starts at once, while each worker first needs a
 * few hundred milliseconds to load the kernel (and tsx, from source).
 */
export function runJob(tables: PathTables, job: EvalJob, threads: number, onProgress?: (done: number, total: number) => void): Promise<number> {
  if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer (got ${threads})`);
  const chunks = chunkCount(tables, job);
  let total = 0;
  for (let c = 0; c < chunks; c++) total += chunkSize(tables, job, c);
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
    /** Adds a finished chunk; false once the job has ended (complete, or failed in onProgress). */
    const record = (chunk: number, chunkCorrect: number): boolean => {
      correct += chunkCorrect;
      done += chunkSize(tables, job, chunk);
      finished++;
      try {
        onProgress?.(done, total);
      } catch (e) {
        stop(e);
        return false;
      }
      if (finished === chunks) stop();
      return !settled;
    };
    for (let i = 0; i < Math.min(threads, chunks) - 1; i++) {
      const w = startWorker(import.meta.url, 'eval-worker', { workerData: { tables, job } });
      workers.push(w);
      w.on('message', (msg: { chunk: number; correct: number }) => {
        if (record(msg.chunk, msg.correct) && next < chunks) w.postMessage(next++);
      });
      w.on('error', (e) => stop(e));
      w.on('exit', (code) => {
        if (!settled) stop(new Error(`evaluation worker exited with code ${code} before the job finished`));
      });
      w.postMessage(next++);
    }
    // One chunk per event-loop turn, so that workers' results and signals are handled in between.
    const count = chunkCounter(tables, job);
    const work = async () => {
      while (!settled && next < chunks) {
        const chunk = next++;
        if (!record(chunk, count(chunk))) return;
        await new Promise((resume) => setImmediate(resume));
      }
    };
    work().catch(stop);
  });
}
