/**
 * Worker thread of the evaluator (started by pool.ts): receives the path tables and the job in workerData, then
 * evaluates each chunk index it is sent and replies `{ chunk, result }` (kernel.ts chunkCounter).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PathTables } from '../model/paths.js';
import { chunkCounter, type EvalJob } from './kernel.js';

const port = parentPort;
if (port === null) throw new Error('eval-worker.ts must run as a worker thread');
const { tables, job } = workerData as { tables: PathTables; job: EvalJob };
const count = chunkCounter(tables, job);
port.on('message', (chunk: number) => {
  port.postMessage({ chunk, result: count(chunk) });
});
