/**
 * Worker thread of parallel counting (checker/parallel.ts): receives the job (the count's rule and data) in its first
 * message, then checks one piece per message (a max token m for brute-force-count, the cases of one max for
 * cubic-count) and answers with its result, or with the rejection it hit. It decides nothing else.
 */
import { parentPort } from 'node:worker_threads';
import { CheckError } from './errors.js';
import { checkPiece, type Job } from './parallel.js';

let job: Job | undefined;
parentPort!.on('message', (msg: number | Job) => {
  if (typeof msg !== 'number') {
    job = msg;
    parentPort!.postMessage('ready');
    return;
  }
  let ops = 0;
  try {
    const r = checkPiece(job!, msg, { add: (n: number) => { ops += n; } });
    parentPort!.postMessage({ ...r, id: msg, ops });
  } catch (e) {
    const error = e instanceof CheckError ? { rule: e.rule, message: e.message } : { rule: 'internal', message: `unexpected error: ${String(e)}` };
    parentPort!.postMessage({ id: msg, error, ops });
  }
});
