/**
 * Runs every chunk of an evaluation job, on the calling thread and threads − 1 worker threads, and sums the chunks'
 * results entry by entry, in chunk order (so that float sums do not depend on which thread finished first). Chunks are
 * handed out one at a time as threads become free, so uneven chunks still balance across cores.
 */
import type { Worker } from 'node:worker_threads';
import type { PathTables } from '../model/paths.js';
import { startWorker } from '../util/worker.js';
import { chunkCounter, chunkSizes, type EvalJob } from './kernel.js';

/**
 * Sums the results of every chunk (kernel.ts chunkCounter); `onProgress(done, total)` counts sequences (or samples)
 * finished. The
 * calling thread counts chunks too, beside threads − 1 workers: it starts at once, while each worker first needs a
 * few hundred milliseconds to load the kernel (and tsx, from source).
 */
export function runJob(tables: PathTables, job: EvalJob, threads: number, onProgress?: (done: number, total: number) => void): Promise<number[]> {
  if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer (got ${threads})`);
  const sizes = chunkSizes(tables, job);
  const chunks = sizes.length;
  const total = sizes.reduce((a, b) => a + b, 0);
  const results: number[][] = new Array<number[]>(chunks);
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let finished = 0;
    let done = 0;
    let settled = false;
    const stop = (error?: unknown) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (error === undefined) resolve(sumInOrder(results));
      else reject(error instanceof Error ? error : new Error(String(error)));
    };
    /** Adds a finished chunk; false once the job has ended (complete, or failed in onProgress). */
    const record = (chunk: number, result: number[]): boolean => {
      results[chunk] = result;
      done += sizes[chunk];
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
      w.on('message', (msg: { chunk: number; result: number[] }) => {
        if (record(msg.chunk, msg.result) && next < chunks) w.postMessage(next++);
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

/** Σ over chunks of each entry, chunk 0 first. */
function sumInOrder(results: number[][]): number[] {
  const out = new Array<number>(results[0]?.length ?? 0).fill(0);
  for (const r of results) for (let i = 0; i < out.length; i++) out[i] += r[i];
  return out;
}
