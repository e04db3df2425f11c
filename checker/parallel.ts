/**
 * Parallel counting (SPEC §4.3, §4.4, §6): a count is split into independent pieces, one per max token m: the
 * sequences with max m for brute-force-count, the cases with max m for cubic-count. The calling thread and
 * threads − 1 worker threads take pieces one at a time (largest m first: they cost most, so the pieces even out at
 * the end); the main thread then does the coverage checks (collect): every piece reported exactly once, and, for
 * brute force, the visited counts (as the pieces counted them) sum to V^K; for cubic, sumCases: every case of the
 * certificate verified exactly once, by the piece of its max (its structure and duplicates were checked on the main
 * thread before the split). A failure is reported for the first failing piece in the single-threaded loop's order,
 * which is the one it reports first, so the verdict is the same as with one thread (and so is the operation count).
 *
 * Workers are started (`startPool`) as soon as the certificate is known to end in such a count, so that their
 * start-up (loading the rules) overlaps the checking of the earlier steps; `stop` ends them whatever the outcome.
 */
import { Worker } from 'node:worker_threads';
import type { StepContext } from './context.js';
import { CheckError, ensure } from './errors.js';
import type { Count } from './ops.js';
import { bruteForceData, countMax, coverage, type BruteForceCountStep, type BruteForceData } from './rules/brute-force-count.js';
import { checkMax, cubicData, sumCases, type CubicCountStep, type CubicData } from './rules/cubic-count.js';

export type Job = { rule: 'brute-force-count'; data: BruteForceData; step: string } | { rule: 'cubic-count'; data: CubicData; step: string };

/** A piece's result as a worker sends it: brute force has good and visited, cubic the indices of the cases verified. */
export interface Piece {
  id: number;
  ops: number;
  error?: { rule: string; message: string; undecided: boolean };
  good?: bigint;
  visited?: bigint;
  cases?: number[];
}

/** Checks piece `id` of the job (on whichever thread), counting its operations in `ops`. */
export function checkPiece(job: Job, id: number, ops: Count): Omit<Piece, 'id' | 'ops'> {
  if (job.rule === 'brute-force-count') return countMax(job.data, id, job.step, ops);
  const g = job.data.groups[id];
  return checkMax(job.data, g.m, g.items, job.step, ops);
}

/**
 * The worker's entry module: the compiled count-worker.js beside this file. When this file runs as TypeScript source
 * (the repository's tests, after `npm run build`), the workers run the built copy in dist/: Node alone cannot load
 * TypeScript, and no loader belongs in the checker.
 */
const WORKER_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './dist/count-worker.js' : './count-worker.js', import.meta.url);

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

/** Records a piece's result; a piece reported twice (by a faulty worker) fails the coverage check. */
export function record(pieces: Map<number, Piece>, piece: Piece, job: { step: string; rule: string }): void {
  if (pieces.has(piece.id)) throw new CheckError(job.step, job.rule, `coverage: piece ${piece.id} checked twice`);
  pieces.set(piece.id, piece);
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
      try {
        record(pieces, msg, job);
      } catch (e) {
        return reject(e);
      }
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
    let piece: Piece;
    try {
      piece = { ...checkPiece(job, id, { add: (n) => { ops += n; } }), id, ops };
    } catch (e) {
      if (!(e instanceof CheckError)) throw e;
      piece = { id, ops, error: { rule: e.rule, message: e.message, undecided: e.undecided } };
    }
    record(pieces, piece, job);
    progress?.(pieces.size, queue.length);
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

/**
 * The brute-force count from its pieces (one per max m), with the coverage checks: every m reported once and no other
 * piece, and the visited counts summing to V^K.
 */
export function collectBruteForce(pieces: Map<number, Piece>, d: BruteForceData, ctx: StepContext): bigint {
  const rule = 'brute-force-count';
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

/** The cubic count from its pieces (one per group of cases with the same max), with sumCases's coverage checks. */
export function collectCubic(pieces: Map<number, Piece>, d: CubicData, ctx: StepContext): bigint {
  const rule = 'cubic-count';
  const verified = d.groups.map((g, i) => ({ cases: result(pieces, i, `the cases with max ${g.m}`, ctx, rule).cases ?? [] }));
  ensure(pieces.size === d.groups.length, ctx.step, rule, `coverage: ${pieces.size} pieces for ${d.groups.length} maxima`);
  return sumCases(d, verified, ctx.step);
}

async function checkBruteForceCountParallel(step: BruteForceCountStep, ctx: StepContext, pool: Worker[]): Promise<bigint> {
  const d = bruteForceData(step, ctx);
  const queue = Array.from({ length: d.V }, (_, i) => d.V - 1 - i);
  return collectBruteForce(await runPieces({ rule: 'brute-force-count', data: d, step: ctx.step }, queue, pool, ctx.progress), d, ctx);
}

async function checkCubicCountParallel(step: CubicCountStep, ctx: StepContext, pool: Worker[]): Promise<bigint> {
  const d = cubicData(step, ctx);
  const queue = Array.from({ length: d.groups.length }, (_, g) => g).sort((a, b) => d.groups[b].m - d.groups[a].m);
  return collectCubic(await runPieces({ rule: 'cubic-count', data: d, step: ctx.step }, queue, pool, ctx.progress), d, ctx);
}
