/**
 * Worker-thread entry of the sweep's thread pool (src/sweep/pool.ts): runs one job at a time, as asked by the pool.
 * Messages in: { id, job, cacheDir }, or { close: true } when the pool closes; out: { id, ok: true, result } or
 * { id, ok: false, error }. GPU backends are opened on the first job that asks for one and kept for the thread's later
 * jobs; on close they are disposed and the thread exits.
 */
import { parentPort } from 'node:worker_threads';
import { JobBackends, runJob, type SweepJob } from './jobs.js';

interface Request {
  id: number;
  job: SweepJob;
  cacheDir: string;
}

const port = parentPort;
if (!port) throw new Error('src/sweep/thread.ts must run in a worker thread');
const backends = new JobBackends();
port.on('message', (msg: Request | { close: true }) => {
  if ('close' in msg) {
    void backends.close().finally(() => process.exit(0));
    return;
  }
  runJob(msg.job, msg.cacheDir, backends).then(
    (result) => port.postMessage({ id: msg.id, ok: true, result }),
    (e: unknown) => port.postMessage({ id: msg.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
port.postMessage({ ready: true });
