/**
 * The brute-force proof (docs/paper.md §5.1, SPEC §4.4). The certificate carries only the scale and the two exp tables; the
 * checker enumerates all V^K sequences itself. The claim must not exceed the checker's count N*, and should equal
 * it, so the prover reimplements the checker's decision independently: a float pass with a rigorous tolerance
 * (brute-force-kernel.ts) settles almost every sequence, and the few it cannot (true near-ties) are decided exactly
 * in BigInt, by the same rule the checker applies: counted iff for every x ≠ m,
 *   Σ_p C_p·(C_p ≥ 0 ? eE_hi[q,t_p]·eP_hi[q,p] : eE_lo[q,t_p]·eP_lo[q,p]) < 0,   C_p = EU_m[q,x] + EVOU_m[t_p,x] + PVOU_m[p,x].
 * The exp tables get enough fraction bits that their smallest entries keep ~64 significant bits, so only true
 * near-ties can differ from the float evaluation.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Backend } from '../backend/registry.js';
import type { Model } from '../model/model.js';
import { pathTables } from '../model/paths.js';
import { adaptiveFracBits, attentionTables, type AttentionTables } from './attention.js';
import { FORMAT, PROVER, type Certificate } from './certificate.js';
import { exactOV, rescale } from './exact.js';
import { emptyTally, recordSequence, scanQuery, sequenceValues, sortNear, type KernelInput, type KernelTally } from './brute-force-kernel.js';
import { StrategyLimitError, type Progress, type ProveOptions, type ProveResult, type Strategy } from './strategy.js';
import { startWorker } from '../util/worker.js';

/** Significant bits kept by the smallest exp-table entry, and the cap on fracBits (the checker's MAX_FRAC_BITS). */
const SIGNIFICANT_BITS = 64;
const MAX_FRAC_BITS = 256;
/** Float error of a coefficient relative to the table scale (far above the ~1e-14 actually seen). */
const REL_TOL = 1e-9;
/** float32 unit roundoff. */
const U32 = 2 ** -24;
/** Safety factor of the backend band over the first-order float32 error estimate of a deciding value. */
const BAND_SAFETY = 16;
/** Sequences per bruteForceScan call on a backend (progress is reported between calls). */
const BACKEND_CHUNK_SEQUENCES = 1 << 22;
/** Below this many sequences the scan runs on the main thread (worker start-up costs more). */
const INLINE_SEQUENCES = 1 << 16;
/** Largest V^K the prover enumerates: the checker's limit. */
const MAX_SEQUENCES = 2 ** 31;

/** Why brute force cannot prove a model with these K and V, in one line, or null when it can. */
function bruteForceRefusal(k: number, vocab: number): string | null {
  const sequences = BigInt(vocab) ** BigInt(k);
  if (sequences <= BigInt(MAX_SEQUENCES)) return null;
  return `brute force enumerates at most 2^31 = ${MAX_SEQUENCES} sequences, and V^K = ${vocab}^${k} = ${sequences}: ` +
    'prove a bound with the cubic or a subcubic strategy instead, or estimate the accuracy with `mechcert eval` (stratified sampling)';
}

/**
 * The checker's per-sequence rule, in exact arithmetic: decides sequences by index (Σ t_p·V^(K−1−p)). With a float32
 * margin ε = n/2^F, every coefficient gets ε (rounded up to the paths' 2^−sh), as in the checker.
 */
export function exactDecider(model: Model, att: AttentionTables, margin: { n: bigint; fracBits: number } = { n: 0n, fracBits: 0 }): (index: number) => boolean {
  const { vocab: V, k: K } = model.config;
  const ov = exactOV(model);
  const sh = Math.max(ov.EU.shift, ov.EVOU.shift, ov.PVOU.shift);
  const eps = sh >= margin.fracBits ? margin.n << BigInt(sh - margin.fracBits) : -(-margin.n >> BigInt(margin.fracBits - sh));
  const EU = rescale(ov.EU, sh).num;
  const EVOU = rescale(ov.EVOU, sh).num;
  const PVOU = rescale(ov.PVOU, sh).num;
  const { loM: eElo, hiM: eEhi } = att.expE;
  const { loM: ePlo, hiM: ePhi } = att.expP;
  const tok = new Int32Array(K);
  return (index: number): boolean => {
    let r = index;
    for (let p = K - 1; p >= 0; p--) {
      tok[p] = r % V;
      r = Math.floor(r / V);
    }
    const q = tok[K - 1];
    let m = 0;
    for (let p = 0; p < K; p++) if (tok[p] > m) m = tok[p];
    for (let x = 0; x < V; x++) {
      if (x === m) continue;
      let sum = 0n;
      for (let p = 0; p < K; p++) {
        const t = tok[p];
        const C = EU[q * V + x] - EU[q * V + m] + eps + EVOU[t * V + x] - EVOU[t * V + m] + PVOU[p * V + x] - PVOU[p * V + m];
        sum += C >= 0n ? C * eEhi[q * V + t] * ePhi[q * K + p] : C * eElo[q * V + t] * ePlo[q * K + p];
      }
      if (sum >= 0n) return false;
    }
    return true;
  };
}

function runWorker(input: KernelInput, queries: number[], onQuery: () => void): Promise<KernelTally> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(import.meta.url, 'brute-force-worker', { workerData: { input, queries } });
    let result: KernelTally | undefined;
    worker.on('message', (msg: { type: 'progress' } | { type: 'done'; tally: KernelTally }) => {
      if (msg.type === 'progress') onQuery();
      else result = msg.tally;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`brute-force worker exited with code ${code} before reporting`));
    });
  });
}

/** Runs the float pass over every query, on `threads` workers (or inline for small spaces). */
export async function scanAll(input: KernelInput, threads: number, progress: Progress, inlineBelow = INLINE_SEQUENCES): Promise<KernelTally> {
  const { V, K } = input;
  const queries = Array.from({ length: V }, (_, q) => q);
  let done = 0;
  const tick = () => progress({ phase: 'sequences', fraction: ++done / V });
  const n = Math.max(1, Math.min(threads, V));
  if (n === 1 || V ** K <= inlineBelow) {
    const tally = emptyTally();
    for (const q of queries) {
      scanQuery(input, q, tally);
      tick();
    }
    return sortNear(tally);
  }
  const chunks = Array.from({ length: n }, (_, i) => queries.filter((q) => q % n === i));
  const tallies = await Promise.all(chunks.map((qs) => runWorker(input, qs, tick)));
  const out = emptyTally();
  for (const t of tallies) {
    out.certain += t.certain;
    out.floatCorrect += t.floatCorrect;
    out.near.push(...t.near);
    out.nearValue.push(...t.nearValue);
  }
  return sortNear(out);
}

/** The exp tables and the float pass's input for a model (fracBits: options.fracBits, else adaptive). */
export function bruteForceSetup(model: Model, options: ProveOptions = {}): { att: AttentionTables; input: KernelInput } {
  const { k: K, vocab: V } = model.config;
  const att = attentionTables(model, options.fracBits ?? ((qk, rHi) => adaptiveFracBits(qk, rHi, SIGNIFICANT_BITS, 64, MAX_FRAC_BITS)));
  const T = pathTables(model);
  const maxAbs = (a: Float64Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const S = maxAbs(T.EU) + maxAbs(T.EVOU) + maxAbs(T.PVOU);
  const input: KernelInput = {
    V, K, EU: T.EU, EVOU: T.EVOU, PVOU: T.PVOU,
    eElo: att.expE.loF, eEhi: att.expE.hiF, ePlo: att.expP.loF, ePhi: att.expP.hiF,
    tau: REL_TOL * (1 + S),
    cmax: 2 * S + (options.float32?.margin ?? 0),
    margin: options.float32?.margin ?? 0,
  };
  return { att, input };
}

/**
 * The band (logit units) inside which a float32 backend's deciding values are re-decided in float64. A first-order
 * estimate of the float32 error of g = Σ_p ŵ_p·c_p / Σ_p ŵ_p with |c_p| ≤ Cmax (u = 2^−24): rounding the tables and
 * forming a coefficient (six entries, four additions) ≲ 6u·Cmax; the weights' relative error (exp and its argument)
 * ≲ 8u, through numerator and denominator ≲ 16u·Cmax; K-term sums ≲ 2K·u·Cmax; the quotient and the threshold
 * ≲ 2u·Cmax. The band is BAND_SAFETY times u·Cmax·(24 + 2K): a heuristic for hints (the conformance suite and the
 * prover's note report the largest error actually seen), never part of a proof.
 */
export function scanBand(input: KernelInput): number {
  return BAND_SAFETY * U32 * input.cmax * (24 + 2 * input.K);
}

/**
 * The float pass on `backend`'s bruteForceScan kernel, in chunks of queries. The kernel counts the sequences it
 * classifies as certainly counted outside the band and lists the rest near the thresholds, for settle to re-decide
 * in float64, so the result equals scanAll's wherever the backend's error is below the band. Whatever the backend
 * returns is a hint: a wrong count can only make the checker reject the claim.
 */
async function scanOnBackend(input: KernelInput, backend: Backend, band: number, progress: Progress): Promise<{ tally: KernelTally; kernelSeconds: number }> {
  const { V, K } = input;
  const chunk = Math.max(1, Math.floor(BACKEND_CHUNK_SEQUENCES / V ** (K - 1)));
  const tally = emptyTally();
  let kernelSeconds = 0;
  for (let start = 0; start < V; start += chunk) {
    progress({ phase: `sequences (${backend.name})`, fraction: start / V });
    const k0 = performance.now();
    const out = await backend.run('bruteForceScan', { input, queries: { start, end: Math.min(V, start + chunk) }, band });
    kernelSeconds += (performance.now() - k0) / 1000;
    tally.certain += out.certain;
    tally.floatCorrect += out.floatCorrect;
    for (let j = 0; j < out.near.length; j++) {
      tally.near.push(out.near[j]);
      tally.nearValue.push(out.nearValue[j]);
    }
  }
  progress({ phase: 'sequences', fraction: 1 });
  return { tally: sortNear(tally), kernelSeconds };
}

/**
 * Re-decides a scan's listed sequences by the float64 rule (sequenceValues, the same values scanQuery computes):
 * those certainly counted, those the float evaluation calls correct, and (in `near`) those left to the exact
 * decision; `maxError` is the largest |listed value − float64 value| (0 for a float64 scan).
 */
function settle(input: KernelInput, scanned: KernelTally): { settled: KernelTally; maxError: number } {
  const values = sequenceValues(input);
  const settled = emptyTally();
  let maxError = 0;
  scanned.near.forEach((i, j) => {
    const { worst, z, tol } = values(i);
    recordSequence(settled, i, worst, z, tol, 0, input.margin);
    const err = Math.abs(scanned.nearValue[j] - worst / z);
    if (Number.isFinite(err)) maxError = Math.max(maxError, err);
  });
  return { settled, maxError };
}

export async function bruteForceCertificate(model: Model, options: ProveOptions = {}, progress: Progress = () => {}): Promise<ProveResult> {
  const t0 = performance.now();
  const { k: K, vocab: V } = model.config;
  const refusal = bruteForceRefusal(K, V);
  if (refusal !== null) throw new StrategyLimitError(refusal);
  progress({ phase: 'exp tables', fraction: 0 });
  const { att, input } = bruteForceSetup(model, options);
  const tTables = performance.now();
  // The cpu backend's bruteForceScan is the one-thread float64 reference; scanAll computes the same on worker threads.
  // The backend kernel decides against 0; a float32 claim's margin is applied on the cpu scan only.
  const backend = options.backend && options.backend.name !== 'cpu' && options.backend.has('bruteForceScan') && !options.float32 ? options.backend : undefined;
  const band = backend ? scanBand(input) : 0;
  const threads = options.threads ?? availableParallelism();
  const onBackend = backend ? await scanOnBackend(input, backend, band, progress) : undefined;
  const tally = onBackend ? onBackend.tally : await scanAll(input, threads, progress);
  const tScan = performance.now();
  // Every sequence outside `near` is certainly counted (tally.certain, all float-correct) or certainly not.
  const { settled, maxError } = settle(input, tally);
  const undecided = settled.near;
  // On the cpu every sequence's float64 verdict is in tally.floatCorrect; a backend's tally holds float32 verdicts, so
  // there it is the certain ones (all float-correct) plus the listed ones re-decided in float64.
  const floatCorrect = backend ? tally.certain + settled.floatCorrect : tally.floatCorrect;
  let exactCounted = 0;
  if (undecided.length > 0) {
    progress({ phase: 'exact fallback', message: `${undecided.length} sequences` });
    const decide = exactDecider(model, att, options.float32?.exact);
    for (const i of undecided) if (decide(i)) exactCounted++;
  }
  const tEnd = performance.now();
  const correct = BigInt(tally.certain + settled.certain + exactCounted);
  const total = BigInt(V) ** BigInt(K);
  const certificate: Certificate = {
    format: FORMAT,
    claim: { modelSha256: model.sha256, task: 'max-of-k', k: K, vocab: V, strategy: 'brute-force', correct: correct.toString(), total: total.toString() },
    evidence: {
      steps: [att.scale, att.expE.step, att.expP.step, { id: 'count', kind: 'brute-force-count', expE: att.expE.step.id, expP: att.expP.step.id }],
    },
    prover: { ...PROVER },
  };
  const diff = floatCorrect - Number(correct);
  const notes = [
    `float evaluation: ${floatCorrect} correct; the claim is ${diff === 0 ? 'equal to it' : `${Math.abs(diff)} ${diff > 0 ? 'below' : 'above'} it`}` +
      (undecided.length > 0
        ? ` (${undecided.length} sequences within the float tolerance of a tie were decided exactly: ${exactCounted} proved)`
        : ' (no sequence was within the float tolerance of a tie)'),
  ];
  if (backend) {
    notes.push(
      `scan on ${backend.description}: ${tally.near.length} sequences rechecked in float64 (band ${band.toPrecision(3)}, largest error seen ${maxError.toPrecision(3)}; ` +
        `the backend's own float evaluation: ${tally.floatCorrect} correct)`,
    );
    if (maxError > band / 2) notes.push('warning: a deciding value was off by more than half the band; the claim may differ from the CPU scan\'s (the checker decides)');
  }
  return {
    certificate,
    notes,
    figures: {
      'tables s': (tTables - t0) / 1000,
      'scan s': (tScan - tTables) / 1000,
      'exact s': (tEnd - tScan) / 1000,
      ...(onBackend ? { 'kernel s': onBackend.kernelSeconds, rechecked: tally.near.length } : { threads: Math.max(1, Math.min(threads, V)) }),
      fracBits: att.expE.step.fracBits,
      floatCorrect,
      undecided: undecided.length,
      undecidedCounted: exactCounted,
    },
  };
}

export const bruteForce: Strategy = {
  name: 'brute-force',
  group: 'brute force',
  complexity: 'V^(K+1)·K·d',
  description: 'Every sequence checked: the checker enumerates all V^K inputs against exact exp enclosures.',
  backendKernels: ['bruteForceScan'],
  prove: bruteForceCertificate,
};
