/**
 * Parallel counting (SPEC §4.3, §4.4, §6): a count is split into independent pieces, the sequences with max token m
 * for brute-force-count and the cases with max m for cubic-count. The calling thread and threads − 1 worker threads
 * take pieces one at a time (largest m first: they cost most, so the pieces even out at the end); the main thread
 * then does the coverage check: every piece checked exactly once, and, for brute force, the visited counts sum to V^K,
 * for cubic, every case of the certificate verified exactly once (its structure and duplicates were checked on the
 * main thread before the split), the counts being summed here. A failure is reported for the first failing piece in
 * the single-threaded loop's order, which is the one it reports first, so the verdict is the same as with one thread
 * (and so is the operation count).
 *
 * Workers are started (`startPool`) as soon as the certificate is known to end in such a count, so that their
 * start-up (loading the rules) overlaps the checking of the earlier steps; `stop` ends them whatever the outcome.
 */
import { Worker } from 'node:worker_threads';
import type { StepContext } from './context.js';
import { CheckError, ensure } from './errors.js';
import { bruteForceData, countMax, coverage, type BruteForceCountStep, type BruteForceData } from './rules/brute-force-count.js';
import { checkMax, cubicData, type CubicCountStep, type CubicData } from './rules/cubic-count.js';

export type Job = { rule: 'brute-force-count'; data: BruteForceData; step: string } | { rule: 'cubic-count'; data: CubicData; step: string };

/** A piece's result as a worker sends it: brute force has good and visited, cubic the per-case counts and indices. */
export interface Piece {
  id: number;
  ops: number;
  error?: { rule: string; message: string; undecided: boolean };
  good?: bigint;
  visited?: bigint;
  counts?: bigint[];
  cases?: number[];
}

/** Checks piece `id` of the job (on whichever thread), counting its operations in `ops`. */
export function checkPiece(job: Job, id: number, ops: { add(n: number): void }): Omit<Piece, 'id' | 'ops'> {
  if (job.rule === 'brute-force-count') return countMax(job.data, id, job.step, ops);
  const g = job.data.groups[id];
  return { counts: checkMax(job.data, g.m, g.items, job.step, ops), cases: g.items.map((c) => c.i) };
}

/**
 * The worker's entry module: the compiled count-worker.js beside this file, or, when this file runs as TypeScript
 * source (the repository's tests), count-worker-source.mjs, which registers a TypeScript loader first.
 */
const WORKER_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './count-worker-source.mjs' : './count-worker.js', import.meta.url);

/** N − 1 worker threads and the counts they share with the calling thread. */
export interface Pool {
  bruteForceCount(step: BruteForceCountStep, ctx: StepContext): Promise<bigint>;
  cubicCount(step: CubicCountStep, ctx: StepContext): Promise<bigint>;
  stop(): void;
}

export function startPool(n: number): Pool {
  const workers = Array.from({ length: n }, () => new Worker(WORKER_ENTRY));
  return {
    bruteForceCount: (step, ctx) => checkBruteForceCountParallel(step, ctx, workers),
    cubicCount: (step, ctx) => checkCubicCountParallel(step, ctx, workers),
    stop() {
      for (const w of workers) {
        w.removeAllListeners();
        void w.terminate();
      }
    },
  };
}

/** Checks the pieces `queue` (taken in that order) on the calling thread and the pool; their results by id. */
async function runPieces(job: Job, queue: number[], pool: Worker[], progress?: (done: number, total: number) => void): Promise<Map<number, Piece>> {
  const pieces = new Map<number, Piece>();
  let next = 0;
  const take = () => (next < queue.length ? queue[next++] : -1);
  /** Ends the wait for workers that have not started when the calling thread runs out of pieces. */
  const idle: (() => void)[] = [];
  const workerDone = pool.map((w) => new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    let ready = false;
    idle.push(() => { if (!ready) resolve(); });
    const send = () => {
      const id = take();
      if (id >= 0) {
        inFlight++;
        w.postMessage(id);
      } else if (inFlight === 0) resolve();
    };
    w.on('message', (msg: 'ready' | Piece) => {
      if (msg === 'ready') {
        ready = true;
        // Two pieces in flight per worker, so that it never waits for the calling thread to yield.
        for (let i = 0; i < 2; i++) send();
        return;
      }
      if (pieces.has(msg.id)) return reject(new CheckError(job.step, job.rule, `coverage: piece ${msg.id} checked twice`));
      pieces.set(msg.id, msg);
      progress?.(pieces.size, queue.length);
      inFlight--;
      send();
    });
    w.on('error', reject);
    w.on('exit', (code) => reject(new Error(`count worker exited with code ${code}`)));
    w.postMessage(job);
  }));
  // A worker failing while the calling thread counts is reported by the Promise.all below, not as an unhandled rejection.
  for (const p of workerDone) p.catch(() => {});
  // The calling thread checks pieces too, yielding between them so that worker messages are handled.
  for (let id = take(); id >= 0; id = take()) {
    let ops = 0;
    try {
      pieces.set(id, { ...checkPiece(job, id, { add: (n) => { ops += n; } }), id, ops });
      progress?.(pieces.size, queue.length);
    } catch (e) {
      if (!(e instanceof CheckError)) throw e;
      pieces.set(id, { id, ops, error: { rule: e.rule, message: e.message, undecided: e.undecided } });
    }
    await new Promise((r) => setImmediate(r));
  }
  for (const f of idle) f();
  await Promise.all(workerDone);
  return pieces;
}

/** The result of piece `id`, its operations counted and its rejection (if any) thrown, in the reference order. */
function result(pieces: Map<number, Piece>, id: number, what: string, ctx: StepContext, rule: string): Piece {
  const p = pieces.get(id);
  ensure(p !== undefined, ctx.step, rule, `coverage: ${what} was not checked`);
  ctx.ops.add(p.ops);
  if (p.error) throw new CheckError(ctx.step, p.error.rule, p.error.message, p.error.undecided);
  return p;
}

async function checkBruteForceCountParallel(step: BruteForceCountStep, ctx: StepContext, pool: Worker[]): Promise<bigint> {
  const d = bruteForceData(step, ctx);
  const rule = 'brute-force-count';
  const pieces = await runPieces({ rule, data: d, step: ctx.step }, Array.from({ length: d.V }, (_, i) => d.V - 1 - i), pool, ctx.progress);
  let counted = 0n;
  let visited = 0n;
  for (let m = 0; m < d.V; m++) {
    const p = result(pieces, m, `max ${m}`, ctx, rule);
    counted += p.good!;
    visited += p.visited!;
  }
  ensure(pieces.size === d.V, ctx.step, rule, `coverage: ${pieces.size} pieces for ${d.V} maxima`);
  coverage(visited, d, ctx.step);
  return counted;
}

async function checkCubicCountParallel(step: CubicCountStep, ctx: StepContext, pool: Worker[]): Promise<bigint> {
  const d = cubicData(step, ctx);
  const rule = 'cubic-count';
  const n = d.groups.length;
  const queue = Array.from({ length: n }, (_, g) => g).sort((a, b) => d.groups[b].m - d.groups[a].m);
  const pieces = await runPieces({ rule, data: d, step: ctx.step }, queue, pool, ctx.progress);
  const verified = new Set<number>();
  let count = 0n;
  for (let g = 0; g < n; g++) {
    const p = result(pieces, g, `the cases with max ${d.groups[g].m}`, ctx, rule);
    const items = d.groups[g].items;
    ensure(p.cases!.length === items.length && p.counts!.length === items.length && p.cases!.every((i, j) => i === items[j].i),
      ctx.step, rule, `coverage: the cases with max ${d.groups[g].m} were not all verified`);
    for (const [j, i] of p.cases!.entries()) {
      ensure(!verified.has(i), ctx.step, rule, `coverage: case ${i} verified twice`);
      verified.add(i);
      count += p.counts![j];
    }
  }
  ensure(pieces.size === n && verified.size === d.cases, ctx.step, rule, `coverage: ${verified.size} of ${d.cases} cases verified`);
  return count;
}
