/**
 * The cubic proof (docs/paper.md §5.2, SPEC §4.3). The search runs in float64 on the path tables and the exp tables'
 * enclosures to find which cases (query q, max m, one non-max value k, c non-max non-query positions) have a
 * negative largest-wrong-logit bound; it emits one `cubic-count` case per (q, m, c) with the good k as a bitmask and
 * a bound b per case: the largest float bound over the good k, plus a tolerance far above float error, rounded up.
 * Each k is first tried with the paper's decoupled bound U[q] + Σ a_p W[t_p]; where that is not negative, with the
 * joint form (x kept joint, exact PVOU at the query position), which costs V× more to check, so only those k are
 * marked in the case's `joint` bitmask (option `joint`: 'fallback', the default; 'always' marks every good k,
 * 'never' uses the decoupled form only).
 * Each float bound already uses the checker's pessimistic reading of the enclosures (hi weight where the coefficient
 * is non-negative, lo otherwise), so the checker's exact recomputation stays below b.
 *
 * Counting (SPEC §4.3): c = 0 counts 1; c ≥ 1 counts C(K−1, c)·|good|^c; the claim is the sum.
 */
import { Decimal } from 'decimal.js';
import { performance } from 'node:perf_hooks';
import { cubicTableEntries } from '../backend/kernels.js';
import type { Backend } from '../backend/registry.js';
import type { Model } from '../model/model.js';
import { pathTables, type PathTables } from '../model/paths.js';
import { FORMAT, PROVER, type Certificate, type CubicCase } from './certificate.js';
import { adaptiveFracBits, attentionTables, type AttentionTables } from './attention.js';
import { CubicBounds, type CubicWeights } from './cubic-bounds.js';
import type { DyadicMatrix } from './exact.js';
import type { Progress, ProveOptions, ProveResult, Strategy } from './strategy.js';

/**
 * Default exp-table precision: at least 64 fraction bits, and enough that the smallest entry keeps ~16 significant
 * bits. Rows are shifted by their maximum, so for small m every weight in a case can lie far below 2^−64 (trained
 * K=4, V=64 models reach e^−100); with a flat F = 64 those enclosures become [0, 2^−64] and the cubic bound loses
 * about 7 points (0.876 instead of 0.948 on the seed-123 model).
 */
const CUBIC_SIGNIFICANT_BITS = 16;
const CUBIC_MIN_FRAC_BITS = 64;
const CUBIC_MAX_FRAC_BITS = 256;
/** Relative tolerance (times the tables' scale) added to every float bound before it is claimed. */
const REL_TOL = 1e-9;
/** Significant digits of an emitted bound (rounded toward +∞). */
const BOUND_DIGITS = 12;

export function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** Non-query positions 0..K−2 sorted by exact EQKP[q,·] ascending (ties by index), per query. */
export function positionOrders(EQKP: DyadicMatrix): number[][] {
  const K = EQKP.cols;
  const out: number[][] = [];
  for (let q = 0; q < EQKP.rows; q++) {
    const ps = Array.from({ length: K - 1 }, (_, p) => p);
    ps.sort((a, b) => {
      const va = EQKP.num[q * K + a];
      const vb = EQKP.num[q * K + b];
      return va < vb ? -1 : va > vb ? 1 : a - b;
    });
    out.push(ps);
  }
  return out;
}

/** b rounded up to BOUND_DIGITS significant digits, as a decimal string; null when that is not < 0. */
export function roundBoundUp(b: number): string | null {
  if (!(b < 0) || !Number.isFinite(b)) return null;
  const s = new Decimal(b).toSignificantDigits(BOUND_DIGITS, Decimal.ROUND_CEIL).toFixed();
  return new Decimal(s).isNegative() && !new Decimal(s).isZero() ? s : null;
}

/**
 * Observes every float bound the search computes (tests use it to build mutants that are certainly wrong): `bound`
 * of the form the certificate uses for k, and for c ≥ 1 also the decoupled form's bound.
 */
export type CubicBoundHook = (q: number, m: number, c: number, k: number, bound: number, decoupled?: number) => void;

/** Where the joint-x form is used for c ≥ 1 (SPEC §4.3): only where the decoupled bound fails, everywhere, or never. */
export type CubicJointMode = 'fallback' | 'always' | 'never';

/** The search's fixed inputs: the exp tables, the path tables, the tolerance and the float bounds' calculator. */
export interface CubicSetup {
  model: Model;
  att: AttentionTables;
  T: PathTables;
  weights: CubicWeights;
  bounds: CubicBounds;
  jointMode: CubicJointMode;
  /** Added to every float bound before it is claimed: REL_TOL times the tables' scale. */
  tol: number;
  /** A k or a case is claimed when its float bound is below −cut: cut = tol + ε (ε: the float32 margin, else 0). */
  cut: number;
  /** ε: an emitted bound b must satisfy b < −ε exactly (0 for an exact claim). */
  margin: number;
  onBound?: CubicBoundHook;
}

/** Which k < m are good for one case (q, m, c), in which form, and the largest float64 bound among them. */
interface CaseVerdict {
  good: bigint;
  joint: bigint;
  count: number;
  worst: number;
}

/** Finds the good k of case (q, c) for the max token the setup's bounds are centred on. */
type CaseClassifier = (q: number, c: number) => CaseVerdict;

/** The search's output so far: the cases in (m, q, c) order and the count they prove. */
interface SearchState {
  cases: CubicCase[];
  correct: bigint;
  jointTokens: number;
}

export function cubicSetup(model: Model, options: ProveOptions & { joint?: CubicJointMode }, onBound?: CubicBoundHook): CubicSetup {
  const K = model.config.k;
  if (K < 2) throw new RangeError('the cubic proof needs K ≥ 2');
  const att = attentionTables(model, options.fracBits ?? ((qk, rHi) => adaptiveFracBits(qk, rHi, CUBIC_SIGNIFICANT_BITS, CUBIC_MIN_FRAC_BITS, CUBIC_MAX_FRAC_BITS)));
  const T = pathTables(model);
  const weights: CubicWeights = {
    expE: { lo: att.expE.loF, hi: att.expE.hiF },
    expP: { lo: att.expP.loF, hi: att.expP.hiF },
    positionOrder: positionOrders(att.qk.EQKP),
  };
  const maxAbs = (a: Float64Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const tol = REL_TOL * (1 + maxAbs(T.EU) + maxAbs(T.EVOU) + maxAbs(T.PVOU));
  const margin = options.float32?.margin ?? 0;
  return { model, att, T, weights, bounds: new CubicBounds(T, weights), jointMode: options.joint ?? 'fallback', tol, cut: tol + margin, margin, onBound };
}

/**
 * Every case with max token m, given a classifier for c ≥ 1 (the c = 0 case is one bound per q, always computed
 * here in float64). `setup.bounds` must be centred on m.
 */
function searchMax(setup: CubicSetup, m: number, classify: CaseClassifier, state: SearchState): void {
  const { bounds, tol, cut, onBound } = setup;
  // The checker needs b < −ε exactly; Number(b) is within 1e−15 of b relative, so keep a 1e−12 relative gap.
  const claimable = (b: string | null): b is string => b !== null && Number(b) + setup.margin < -1e-12 * Math.abs(Number(b));
  const binom = Array.from({ length: setup.T.k }, (_, c) => binomial(setup.T.k - 1, c));
  for (let q = 0; q <= m; q++) {
    const L0 = bounds.caseZero(q);
    onBound?.(q, m, 0, m, L0);
    const b0 = roundBoundUp(L0 + tol);
    if (claimable(b0) && L0 < -cut) {
      state.cases.push({ q, m, c: 0, bound: b0 });
      state.correct += 1n;
    }
    for (let c = 1; c <= bounds.maxCopies(q); c++) {
      const { good, joint, count, worst } = classify(q, c);
      if (count === 0) continue;
      const b = roundBoundUp(worst + tol);
      if (!claimable(b)) continue;
      state.cases.push(joint === 0n ? { q, m, c, good: good.toString(16), bound: b } : { q, m, c, good: good.toString(16), joint: joint.toString(16), bound: b });
      state.correct += binom[c] * BigInt(count) ** BigInt(c);
      for (let j = joint; j > 0n; j >>= 1n) state.jointTokens += Number(j & 1n);
    }
  }
}

/**
 * The float64 classifier: each k is tried with the decoupled bound and, per the joint mode, with the joint one; k is
 * good when the bound of the form used is below −cut.
 */
function exactClassifier(setup: CubicSetup, m: number): CaseClassifier {
  const { bounds, jointMode, cut, onBound } = setup;
  return (q, c) => {
    const verdict: CaseVerdict = { good: 0n, joint: 0n, count: 0, worst: -Infinity };
    for (let k = 0; k < m; k++) {
      const decoupled = bounds.decoupled(q, c, k);
      const useJoint = jointMode === 'always' || (jointMode === 'fallback' && !(decoupled < -cut));
      const L = useJoint ? bounds.joint(q, c, k) : decoupled;
      onBound?.(q, m, c, k, L, decoupled);
      if (L < -cut) {
        verdict.good |= 1n << BigInt(k);
        if (useJoint) verdict.joint |= 1n << BigInt(k);
        verdict.count++;
        verdict.worst = Math.max(verdict.worst, L);
      }
    }
    return verdict;
  };
}

/** Hint statistics of a backend-assisted search. */
interface HintStats {
  /** Bounds recomputed in float64 because the hint was within the band of the threshold or of the case's worst. */
  rechecked: number;
  /** The largest |hint − float64| seen among the rechecked bounds. */
  maxError: number;
}

/**
 * The classifier over a backend's case table (kernel cubicCaseBounds, float32 on a GPU): it takes the same decisions
 * as exactClassifier wherever every hint lies within `band` of its float64 value. A hint that is not finite or lies
 * within `band` of −cut is recomputed in float64 before deciding; the case's worst bound is the float64 maximum over
 * the good k whose hint could be the largest. Certificates therefore come out identical to the CPU search's; a hint
 * wrong by more than `band` can only change which cases are claimed or make the checker reject a bound, never make
 * the checker accept a false claim (it recomputes every bound exactly).
 */
function hintClassifier(setup: CubicSetup, m: number, hints: Float64Array | Float32Array, rowOf: (q: number, c: number) => number, band: number, stats: HintStats): CaseClassifier {
  const { bounds, jointMode, cut } = setup;
  const recompute = (value: () => number, hint: number): number => {
    const exact = value();
    stats.rechecked++;
    if (Number.isFinite(hint) && Number.isFinite(exact)) stats.maxError = Math.max(stats.maxError, Math.abs(hint - exact));
    return exact;
  };
  return (q, c) => {
    const verdict: CaseVerdict = { good: 0n, joint: 0n, count: 0, worst: -Infinity };
    const pending: { k: number; hint: number; joint: boolean }[] = [];
    const row = rowOf(q, c);
    for (let k = 0; k < m; k++) {
      const decHint = hints[2 * (row + k)];
      const jointHint = hints[2 * (row + k) + 1];
      let decExact: number | undefined;
      const decGood = jointMode !== 'always' && (Number.isFinite(decHint) && Math.abs(decHint + cut) > band ? decHint < -cut : (decExact = recompute(() => bounds.decoupled(q, c, k), decHint)) < -cut);
      const useJoint = jointMode === 'always' || (jointMode === 'fallback' && !decGood);
      let good = decGood;
      let exact = decExact;
      if (useJoint) {
        exact = Number.isFinite(jointHint) && Math.abs(jointHint + cut) > band ? undefined : recompute(() => bounds.joint(q, c, k), jointHint);
        good = exact === undefined ? jointHint < -cut : exact < -cut;
      }
      if (!good) continue;
      verdict.good |= 1n << BigInt(k);
      if (useJoint) verdict.joint |= 1n << BigInt(k);
      verdict.count++;
      if (exact !== undefined) verdict.worst = Math.max(verdict.worst, exact);
      else pending.push({ k, hint: useJoint ? jointHint : decHint, joint: useJoint });
    }
    // A pending k can hold the largest float64 bound only if its hint + band reaches every other k's hint − band.
    const floor = Math.max(verdict.worst, ...pending.map((p) => p.hint - band));
    for (const p of pending) {
      if (p.hint + band < floor) continue;
      verdict.worst = Math.max(verdict.worst, recompute(() => (p.joint ? bounds.joint(q, c, p.k) : bounds.decoupled(q, c, p.k)), p.hint));
    }
    return verdict;
  };
}

function certificateOf(setup: CubicSetup, state: SearchState): Certificate {
  const { model, att, weights } = setup;
  const { k: K, vocab: V } = model.config;
  return {
    format: FORMAT,
    claim: { modelSha256: model.sha256, task: 'max-of-k', k: K, vocab: V, strategy: 'cubic', correct: state.correct.toString(), total: (BigInt(V) ** BigInt(K)).toString() },
    evidence: {
      steps: [
        att.scale,
        att.expE.step,
        att.expP.step,
        { id: 'count', kind: 'cubic-count', expE: att.expE.step.id, expP: att.expP.step.id, positionOrder: weights.positionOrder, cases: state.cases },
      ],
    },
    prover: { ...PROVER },
  };
}

/**
 * The cubic certificate by the float64 search on this thread. `onBound` sees, per (q, m, c, k), the bound of the
 * form the certificate would use for k (the joint bound where the decoupled one is not negative and joint is
 * allowed, else the decoupled one): a k whose reported bound is above a case's b fails the check in either form,
 * since the joint bound is never above the decoupled one.
 */
export function cubicCertificate(model: Model, options: ProveOptions & { joint?: CubicJointMode } = {}, progress: Progress = () => {}, onBound?: CubicBoundHook): { certificate: Certificate; figures: Record<string, number | string> } {
  const t0 = performance.now();
  progress({ phase: 'exp tables', fraction: 0 });
  const setup = cubicSetup(model, options, onBound);
  const tTables = performance.now();
  const V = model.config.vocab;
  const state: SearchState = { cases: [], correct: 0n, jointTokens: 0 };
  for (let m = 0; m < V; m++) {
    progress({ phase: 'cases', fraction: m / V });
    setup.bounds.centre(m);
    searchMax(setup, m, exactClassifier(setup, m), state);
  }
  progress({ phase: 'cases', fraction: 1 });
  const tEnd = performance.now();
  return {
    certificate: certificateOf(setup, state),
    figures: {
      'tables s': (tTables - t0) / 1000,
      'cases s': (tEnd - tTables) / 1000,
      cases: state.cases.length,
      'joint tokens': state.jointTokens,
      fracBits: setup.att.expE.step.fracBits,
      tolerance: setup.tol,
    },
  };
}

/** Case-table entries per kernel call: bounds the host memory of one chunk of hints (2 × 2^22 float32 = 32 MiB). */
const HINT_CHUNK_ENTRIES = 1 << 22;
/** Width of the band around −tol (times the tables' scale, like REL_TOL) inside which hints are rechecked. */
const HINT_BAND_REL = 1e-4;

/**
 * The largest hint error the backend search tolerates without changing the certificate: 1e-4 times the tables' scale
 * (3.7e-3 on the seed-123 model, whose float32 case table is off by at most 3.1e-5 on lavapipe).
 */
export function hintBand(setup: CubicSetup): number {
  return (HINT_BAND_REL / REL_TOL) * setup.tol;
}

/**
 * The cubic certificate with the case table computed by `backend`'s cubicCaseBounds kernel, in chunks of max tokens,
 * and classified by hintClassifier. The c = 0 cases, the band rechecks and each case's worst bound stay in float64.
 */
export async function cubicCertificateOnBackend(model: Model, backend: Backend, options: ProveOptions & { joint?: CubicJointMode } = {}, progress: Progress = () => {}): Promise<{ certificate: Certificate; figures: Record<string, number | string>; notes: string[] }> {
  const t0 = performance.now();
  progress({ phase: 'exp tables', fraction: 0 });
  const setup = cubicSetup(model, options);
  const tTables = performance.now();
  const { k: K, vocab: V } = model.config;
  const band = hintBand(setup);
  // hintClassifier asks for a joint bound only where the decoupled hint is not below −cut − band (fallback mode).
  const jointAbove = { always: -Infinity, fallback: -setup.cut - 2 * band, never: Infinity }[setup.jointMode];
  const stats: HintStats = { rechecked: 0, maxError: 0 };
  const state: SearchState = { cases: [], correct: 0n, jointTokens: 0 };
  const perM = cubicTableEntries(K, V, 1);
  const chunk = Math.max(1, Math.floor(HINT_CHUNK_ENTRIES / perM));
  let kernelSeconds = 0;
  for (let start = 0; start < V; start += chunk) {
    const end = Math.min(V, start + chunk);
    progress({ phase: `cases (${backend.name} case table)`, fraction: start / V });
    const k0 = performance.now();
    const { bounds: hints } = await backend.run('cubicCaseBounds', { tables: setup.T, weights: setup.weights, mRange: { start, end }, jointAbove });
    kernelSeconds += (performance.now() - k0) / 1000;
    for (let m = start; m < end; m++) {
      setup.bounds.centre(m);
      const rowOf = (q: number, c: number) => (((m - start) * V + q) * (K - 1) + c - 1) * V;
      searchMax(setup, m, hintClassifier(setup, m, hints, rowOf, band, stats), state);
    }
  }
  progress({ phase: 'cases', fraction: 1 });
  const tEnd = performance.now();
  const notes = [`case table on ${backend.description}: ${stats.rechecked} bounds rechecked in float64 (band ${band.toPrecision(3)}, largest hint error seen ${stats.maxError.toPrecision(3)})`];
  if (stats.maxError > band) notes.push(`warning: a hint was off by more than the band; the certificate may differ from the CPU search's (the checker decides)`);
  return {
    certificate: certificateOf(setup, state),
    figures: {
      'tables s': (tTables - t0) / 1000,
      'cases s': (tEnd - tTables) / 1000,
      'kernel s': kernelSeconds,
      rechecked: stats.rechecked,
      cases: state.cases.length,
      'joint tokens': state.jointTokens,
      fracBits: setup.att.expE.step.fracBits,
      tolerance: setup.tol,
    },
    notes,
  };
}

export const cubic: Strategy = {
  name: 'cubic',
  group: 'cubic',
  complexity: 'V³K²',
  description: 'The cubic proof of the paper: every (query, max, non-max value, copy count) case with extreme position layouts and the convexity count.',
  backendKernels: ['cubicCaseBounds'],
  async prove(model: Model, options: ProveOptions, progress: Progress): Promise<ProveResult> {
    // The cpu backend's cubicCaseBounds is the float64 reference computing every joint bound; the direct search
    // computes the same decisions with joint bounds only where needed, so it is used for cpu.
    const backend = options.backend;
    if (backend && backend.name !== 'cpu' && backend.has('cubicCaseBounds')) return cubicCertificateOnBackend(model, backend, options, progress);
    return cubicCertificate(model, options, progress);
  },
};
