/** Worker thread for the brute-force prover: scans the queries it is given and reports progress and its tally. */
import { parentPort, workerData } from 'node:worker_threads';
import { emptyTally, scanQuery, type KernelInput } from './brute-force-kernel.js';

const { input, queries } = workerData as { input: KernelInput; queries: number[] };
const tally = emptyTally();
for (const q of queries) {
  scanQuery(input, q, tally);
  parentPort!.postMessage({ type: 'progress', q });
}
parentPort!.postMessage({ type: 'done', tally });
