/**
 * Worker-thread entry of the sweep's thread pool (src/sweep/pool.ts): runs one job at a time, as asked by the pool.
 * Messages in: { id, job, cacheDir }; out: { id, ok: true, result } or { id, ok: false, error }.
 */
import { parentPort } from 'node:worker_threads';
import { runJob, type SweepJob } from './jobs.js';

interface Request {
  id: number;
  job: SweepJob;
  cacheDir: string;
}

const port = parentPort;
if (!port) throw new Error('src/sweep/thread.ts must run in a worker thread');
port.on('message', (msg: Request) => {
  runJob(msg.job, msg.cacheDir).then(
    (result) => port.postMessage({ id: msg.id, ok: true, result }),
    (e: unknown) => port.postMessage({ id: msg.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
port.postMessage({ ready: true });
