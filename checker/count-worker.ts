/**
 * Worker thread of parallel counting (checker/parallel.ts): receives the job (the count's rule and data) in its first
 * message, then checks one piece per message (a max token m for brute-force-count, the cases of one max for
 * cubic-count) and answers with its result, or with the rejection it hit. It decides nothing else.
 */
import { parentPort } from 'node:worker_threads';
import { CheckError } from './errors.js';
import { checkPiece, type Job } from './parallel.js';

const port = parentPort!;
port.once('message', (job: Job) => {
  port.on('message', (id: number) => {
    let ops = 0;
    try {
      const r = checkPiece(job, id, { add: (n: number) => { ops += n; } });
      port.postMessage({ ...r, id, ops });
    } catch (e) {
      const error = e instanceof CheckError
        ? { rule: e.rule, message: e.message, undecided: e.undecided }
        : { rule: 'internal', message: `unexpected error: ${String(e)}`, undecided: true };
      port.postMessage({ id, error, ops });
    }
  });
  port.postMessage('ready');
});
