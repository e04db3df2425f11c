/**
 * Worker thread of the parallel brute-force count: receives the count's data in its first message, then counts one
 * max token m per message and answers with its result, or with the rejection it hit. It decides nothing else.
 */
import { parentPort } from 'node:worker_threads';
import { CheckError } from './errors.js';
import { countMax, type BruteForceData } from './rules/brute-force-count.js';

let job: { data: BruteForceData; step: string } | undefined;
parentPort!.on('message', (msg: number | { data: BruteForceData; step: string }) => {
  if (typeof msg !== 'number') {
    job = msg;
    parentPort!.postMessage('ready');
    return;
  }
  const m = msg;
  let ops = 0;
  const counter = { add: (n: number) => { ops += n; } };
  try {
    const r = countMax(job!.data, m, job!.step, counter);
    parentPort!.postMessage({ m, good: r.good, visited: r.visited, ops });
  } catch (e) {
    const error = e instanceof CheckError ? { rule: e.rule, message: e.message } : { rule: 'internal', message: `unexpected error: ${String(e)}` };
    parentPort!.postMessage({ m, error, ops });
  }
});
