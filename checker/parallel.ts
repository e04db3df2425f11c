/**
 * Parallel brute-force counting (SPEC §4.4, §6): the sequences with max token m are an independent piece for each m.
 * The calling thread and threads − 1 worker threads take maxima one at a time (largest first: they cost most); the
 * main thread then does the coverage check: every m in 0..V−1 counted exactly once, and the visited counts sum to V^K.
 * A failure is reported for the smallest failing m, which is the one the single-threaded loop reports first, so the
 * verdict is the same as with one thread (and, when it verifies, so is the operation count).
 *
 * Workers are started (`startWorkers`) as soon as the certificate is known to end in a brute-force count, so that their
 * start-up (loading tsx and the rule, a few hundred ms) overlaps the checking of the earlier steps; `stopWorkers` ends
 * them whatever the outcome.
 */
import { Worker } from 'node:worker_threads';
import type { StepContext } from './context.js';
import { CheckError, ensure } from './errors.js';
import { bruteForceData, countMax, coverage, type BruteForceCountStep } from './rules/brute-force-count.js';

interface Piece { good: bigint; visited: bigint; ops: number; error?: { rule: string; message: string } }

const BOOTSTRAP = new URL('./brute-force-worker.mjs', import.meta.url);

export function startWorkers(n: number): Worker[] {
  return Array.from({ length: n }, () => new Worker(BOOTSTRAP));
}

export function stopWorkers(workers: Worker[]): void {
  for (const w of workers) {
    w.removeAllListeners();
    void w.terminate();
  }
}

export async function checkBruteForceCountParallel(step: BruteForceCountStep, ctx: StepContext, pool: Worker[]): Promise<bigint> {
  const d = bruteForceData(step, ctx);
  const at = ctx.step;
  const pieces = new Map<number, Piece>();
  let next = d.V - 1;
  const take = () => (next >= 0 ? next-- : -1);
  /** Ends the wait for workers that have not started when the calling thread runs out of maxima. */
  const idle: (() => void)[] = [];
  const workerDone = pool.map((w) => new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    let ready = false;
    idle.push(() => { if (!ready) resolve(); });
    const send = () => {
      const m = take();
      if (m >= 0) {
        inFlight++;
        w.postMessage(m);
      } else if (inFlight === 0) resolve();
    };
    w.on('message', (msg: 'ready' | (Piece & { m: number })) => {
      if (msg === 'ready') {
        ready = true;
        // Two maxima in flight per worker, so that it never waits for the calling thread to yield.
        for (let i = 0; i < 2; i++) send();
        return;
      }
      if (pieces.has(msg.m)) return reject(new CheckError(at, 'brute-force-count', `coverage: max ${msg.m} counted twice`));
      pieces.set(msg.m, msg);
      inFlight--;
      send();
    });
    w.on('error', reject);
    w.on('exit', (code) => reject(new Error(`count worker exited with code ${code}`)));
    w.postMessage({ data: d, step: at });
  }));
  // A worker failing while the calling thread counts is reported by the Promise.all below, not as an unhandled rejection.
  for (const p of workerDone) p.catch(() => {});
  // The calling thread counts too, yielding between maxima so that worker messages are handled.
  for (let m = take(); m >= 0; m = take()) {
    let ops = 0;
    try {
      const r = countMax(d, m, at, { add: (n) => { ops += n; } });
      pieces.set(m, { ...r, ops });
    } catch (e) {
      if (!(e instanceof CheckError)) throw e;
      pieces.set(m, { good: 0n, visited: 0n, ops, error: { rule: e.rule, message: e.message } });
    }
    await new Promise((r) => setImmediate(r));
  }
  for (const f of idle) f();
  await Promise.all(workerDone);
  let counted = 0n;
  let visited = 0n;
  for (let m = 0; m < d.V; m++) {
    const p = pieces.get(m);
    ensure(p !== undefined, at, 'brute-force-count', `coverage: max ${m} was not counted`);
    ctx.ops.add(p.ops);
    if (p.error) throw new CheckError(at, p.error.rule, p.error.message);
    counted += p.good;
    visited += p.visited;
  }
  ensure(pieces.size === d.V, at, 'brute-force-count', `coverage: ${pieces.size} pieces for ${d.V} maxima`);
  coverage(visited, d, at);
  return counted;
}
