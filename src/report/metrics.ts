/**
 * Metrics for one (model, strategy) proof (docs/glossary.md#measures): the checked bound as an exact fraction and a decimal, the
 * proof length (the checker's count of exact arithmetic operations), the paper's unexplained dimension where it is
 * defined (docs/paper.md §6.2), the certificate's size raw and gzipped, and the prover's and checker's wall time.
 *
 * Only what the checker verified counts: a certificate the checker rejects is recorded with bound 0 and its error.
 * The normalized bound (bound ÷ true accuracy) needs the other rows of the same model, so it is computed in
 * normalize(), with the denominator's provenance spelled out: the checked brute-force bound where one exists,
 * otherwise a float estimate whose label says so.
 */
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { checkCertificate } from 'mechcert-checker';
import type { Backend } from '../backend/registry.js';
import { parseModel, type Model } from '../model/model.js';
import type { Interval } from '../eval/interval.js';
import { StrategyLimitError } from '../prove/strategy.js';
import { getStrategy } from './deps.js';
import { RESULT_CACHE_VERSION } from '../sweep/cache.js';

export interface ExactBound {
  numerator: string;
  denominator: string;
  /** Rounded down (as the checker prints it). */
  decimal: string;
}

export interface ProofMetrics {
  cacheVersion: number;
  modelSha256: string;
  /** File name (without folder) the model was read from, or the sweep's name for it. */
  modelLabel: string;
  k: number;
  vocab: number;
  dModel: number;
  dHead: number;
  /** The training seed from the model's metadata, when recorded. */
  seed: number | null;
  strategy: string;
  group: string;
  complexity: string;
  verified: boolean;
  /** The checker's (or prover's) error when not verified. */
  error: string | null;
  /** Certified correct count and total V^K (decimal integer strings); correct is "0" when not verified. */
  correct: string;
  total: string;
  bound: ExactBound;
  /** bound as a float, for sorting and plotting only. */
  boundValue: number;
  /** Proof length: the checker's count of exact arithmetic operations (decimal integer string); null if not checked. */
  checkerOps: string | null;
  /** The paper's unexplained dimension (docs/paper.md §6.2); null where the paper does not define it. */
  unexplainedDimension: number | null;
  certificateBytes: number;
  certificateGzipBytes: number;
  certificateSha256: string | null;
  proverSeconds: number;
  checkerSeconds: number;
  /**
   * The prover's smallest upper bound, over the cases it tried, on (largest wrong logit − correct logit): a case is
   * proved only where that bound is below 0, so for a bound of 0 it says how far the closest case was from a proof.
   * Reported by the subcubic provers; null (or absent, in results cached before it existed) otherwise.
   */
  closestMargin?: number | null;
}

/**
 * Where a model's "true accuracy" (the normalizer) came from: a checked brute-force count; the float evaluation's
 * exhaustive count over all V^K sequences (exact for the float model, not checked); or, beyond 2^31 sequences, the
 * stratified estimate (src/eval/stratified.ts), with its interval.
 */
export type AccuracySource =
  | 'checked brute force'
  | 'float exhaustive count (not checked)'
  | 'stratified estimate (float, not checked)';

export interface TrueAccuracy {
  value: number;
  source: AccuracySource;
  /** Exact fraction when it came from a checked brute-force certificate or an exhaustive count. */
  fraction: string | null;
  /** The estimate's confidence interval; null for a count. */
  interval: Interval | null;
}

export interface ReportRow extends ProofMetrics {
  trueAccuracy: number;
  trueAccuracySource: AccuracySource;
  /** The normalizer's confidence interval where it is an estimate, else null. */
  trueAccuracyInterval: Interval | null;
  /** bound ÷ trueAccuracy. */
  normalizedBound: number;
  /** The certificate's path inside the report folder (src/report/certificates.ts); null where none was kept. */
  certificateFile?: string | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Unexplained dimension (docs/paper.md §6.2)

const SUBCUBIC_EU: Record<string, (V: number, d: number) => number> = {
  global_max_diff_exact: () => 2,
  max_diff_exact: (V) => 2 * V,
  'mean_query+max_diff': (V, d) => 2 + V + V * d,
  'svd_query+max_diff': (V, d) => 2 + V + V * d,
  max_diff: (V, d) => 2 + V * d,
};

function subcubicAttentionErrorDim(option: string, V: number, d: number): number | null {
  switch (option) {
    case 'svd':
      return 2 * V;
    case 'max_diff':
    case 'max_diff_subproduct':
    case 'max_diff_subproduct_recursive':
      return 2 * V + 2 * d;
    case 'mean+max_diff':
    case 'mean+max_diff_subproduct':
    case 'mean+max_diff_subproduct_recursive':
    case 'mean_recursive+max_diff_subproduct_recursive':
      return 2 * V + 2 * d + V;
    case 'max_diff_exact':
      return 4 * V;
    case 'exact_eqke+max_diff_exact':
      return V * V;
    default:
      return null;
  }
}

function canonOption(s: string): string {
  return s.trim().toLowerCase().replace(/-/g, '_');
}

/**
 * The number of real numbers the proof treats as unstructured (docs/paper.md §6.2): brute force V^{K+1}; cubic 3V² + 2KV;
 * subcubic `subcubic/<EUPU>/<attention>/<attention error>` ED_EUPU + ED_attnerr + V + V². Null when undefined.
 */
export function unexplainedDimension(strategy: string, k: number, V: number, d: number): number | null {
  const name = strategy.trim().toLowerCase();
  if (name === 'brute-force' || name === 'brute_force' || name === 'bruteforce') return V ** (k + 1);
  if (name === 'cubic') return 3 * V * V + 2 * k * V;
  const parts = name.split('/');
  if (parts[0] === 'subcubic' && parts.length === 4) {
    const eu = SUBCUBIC_EU[canonOption(parts[1]).replace(/^mean\+/, 'mean_query+').replace(/^svd\+/, 'svd_query+')];
    const err = subcubicAttentionErrorDim(canonOption(parts[3]), V, d);
    if (eu === undefined || err === null) return null;
    return eu(V, d) + err + V + V * V;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Proving and checking one (model, strategy)

export interface ProofRun {
  metrics: ProofMetrics;
  /** The certificate's JSON text (UTF-8), when the prover produced one. */
  certificate: Uint8Array | null;
  certificateGzip: Uint8Array | null;
}

export interface RunProofOptions {
  /** Worker threads the prover and checker may use (default 1: the sweep parallelises across jobs instead). */
  threads?: number;
  modelLabel?: string;
  /**
   * An opened backend the strategy may use for its search (src/prove/strategy.ts ProveOptions). Its results are hints
   * and the checker re-verifies the certificate, so a result stands whichever backend helped find it: cached results
   * are keyed without it.
   */
  backend?: Backend;
}

function seedOf(model: Model): number | null {
  const s = model.metadata.seed;
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : null;
}

function fraction(n: bigint, d: bigint): ExactBound {
  const g = gcd(n, d);
  const num = n / g;
  const den = d / g;
  return { numerator: num.toString(), denominator: den.toString(), decimal: floorDecimal(num, den, 10) };
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

/** n/d rounded down to `places` decimals. */
export function floorDecimal(n: bigint, d: bigint, places: number): string {
  const scaled = (n * 10n ** BigInt(places)) / d;
  const s = scaled.toString().padStart(places + 1, '0');
  return `${s.slice(0, -places)}.${s.slice(-places)}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Proves `strategy` on the model, hands the certificate to the checker, and measures everything a report row holds (docs/glossary.md#measures). */
export async function runProof(modelBytes: Uint8Array, strategyName: string, opts: RunProofOptions = {}): Promise<ProofRun> {
  const threads = opts.threads ?? 1;
  const model = parseModel(modelBytes);
  const { k, vocab, dModel, dHead } = model.config;
  const total = BigInt(vocab) ** BigInt(k);
  const base = {
    cacheVersion: RESULT_CACHE_VERSION,
    modelSha256: model.sha256,
    modelLabel: opts.modelLabel ?? `max${k}-v${vocab}-${model.sha256.slice(0, 8)}`,
    k, vocab, dModel, dHead,
    seed: seedOf(model),
    strategy: strategyName,
    unexplainedDimension: unexplainedDimension(strategyName, k, vocab, dModel),
    total: total.toString(),
  };
  const strategy = await getStrategy(strategyName);
  const failed = (error: string, extra: Partial<ProofMetrics> = {}): ProofMetrics => ({
    ...base, group: strategy.group, complexity: strategy.complexity,
    verified: false, error, correct: '0', bound: fraction(0n, total), boundValue: 0, checkerOps: null,
    certificateBytes: 0, certificateGzipBytes: 0, certificateSha256: null, proverSeconds: 0, checkerSeconds: 0, ...extra,
  });

  const t0 = performance.now();
  let certificate: Uint8Array;
  let closestMargin: number | null = null;
  try {
    const proved = await strategy.prove(model, { threads, backend: opts.backend });
    certificate = proved.bytes;
    if (typeof proved.figures.closestMargin === 'number') closestMargin = proved.figures.closestMargin;
  } catch (e) {
    const error = e instanceof StrategyLimitError ? `${NOT_RUN}${e.message}` : `prover: ${errorText(e)}`;
    return { metrics: failed(error, { proverSeconds: (performance.now() - t0) / 1000 }), certificate: null, certificateGzip: null };
  }
  const proverSeconds = (performance.now() - t0) / 1000;
  const certificateGzip = gzipSync(certificate, { level: 9 });

  const t1 = performance.now();
  const verdict = await checkCertificate(certificate, modelBytes, { threads });
  const checkerSeconds = (performance.now() - t1) / 1000;
  const sizes = { certificateBytes: certificate.length, certificateGzipBytes: certificateGzip.length, certificateSha256: verdict.certificateSha256, proverSeconds, checkerSeconds, closestMargin };
  if (!verdict.verified) {
    const where = verdict.error.step === null ? '' : ` at step ${verdict.error.step}`;
    return { metrics: failed(`checker rejected${where} (${verdict.error.rule}): ${verdict.error.message}`, { ...sizes, checkerOps: verdict.checkerOps }), certificate, certificateGzip };
  }
  const correct = BigInt(verdict.claim.correct);
  const bound: ExactBound = { numerator: verdict.bound.numerator, denominator: verdict.bound.denominator, decimal: verdict.bound.decimal };
  const metrics: ProofMetrics = {
    ...base, group: strategy.group, complexity: strategy.complexity,
    verified: true, error: null, correct: correct.toString(), bound,
    boundValue: Number(verdict.bound.numerator) / Number(verdict.bound.denominator),
    checkerOps: verdict.checkerOps, ...sizes,
  };
  return { metrics, certificate, certificateGzip };
}

// ---------------------------------------------------------------------------------------------------------------
// True accuracy and normalization

/** How the error of a proof the strategy refused to run (the model is beyond its reach) begins. */
export const NOT_RUN = 'not run: ';

/** Whether the row is a proof its strategy refused to run: it is no failure, and counts in no group's statistics. */
export function isNotRun(r: ProofMetrics): boolean {
  return r.error?.startsWith(NOT_RUN) === true;
}

export function isBruteForce(strategy: string): boolean {
  return /^brute[-_ ]?force$/i.test(strategy.trim());
}

/** Models (by SHA-256) without a verified brute-force row: those normalize() needs a float accuracy for. */
export function modelsWithoutCheckedCount(rows: ProofMetrics[]): Set<string> {
  const checked = new Set(rows.filter((r) => isBruteForce(r.strategy) && r.verified).map((r) => r.modelSha256));
  return new Set(rows.map((r) => r.modelSha256).filter((sha) => !checked.has(sha)));
}

/**
 * The float accuracy of a model, the normalizer where no checked brute-force bound exists: the trainer's recorded
 * exhaustive count, else the exhaustive float evaluation on every core (V^K ≤ 2^31), else the stratified estimate
 * (default samples per class, seed 0), labelled as an estimate with its 95% interval.
 */
export async function floatAccuracy(model: Model): Promise<TrueAccuracy> {
  const recorded = model.metadata.accuracy;
  if (recorded !== undefined && Number.isFinite(Number(recorded))) {
    return { value: Number(recorded), source: 'float exhaustive count (not checked)', fraction: model.metadata.accuracy_sequences ?? null, interval: null };
  }
  const { evaluateExhaustive, tooLargeForExhaustive } = await import('../eval/exhaustive.js');
  if (tooLargeForExhaustive(model.config.k, model.config.vocab) === null) {
    const r = await evaluateExhaustive(model);
    return { value: r.accuracy, source: 'float exhaustive count (not checked)', fraction: `${r.correct}/${r.total}`, interval: null };
  }
  const { evaluateStratified } = await import('../eval/stratified.js');
  const r = await evaluateStratified(model, { seed: 0n });
  return { value: r.estimate, source: 'stratified estimate (float, not checked)', fraction: null, interval: r.interval };
}

/**
 * Adds the true accuracy and the normalized bound to every row. Per model: the checked brute-force bound when a
 * verified brute-force row exists (it is the exact accuracy), else `estimate(modelSha256)`.
 */
export function normalize(rows: ProofMetrics[], estimate: (modelSha256: string) => TrueAccuracy): ReportRow[] {
  const truth = new Map<string, TrueAccuracy>();
  for (const r of rows) {
    if (isBruteForce(r.strategy) && r.verified) {
      truth.set(r.modelSha256, { value: r.boundValue, source: 'checked brute force', fraction: `${r.bound.numerator}/${r.bound.denominator}`, interval: null });
    }
  }
  return rows.map((r) => {
    let t = truth.get(r.modelSha256);
    if (!t) {
      t = estimate(r.modelSha256);
      truth.set(r.modelSha256, t);
    }
    return { ...r, trueAccuracy: t.value, trueAccuracySource: t.source, trueAccuracyInterval: t.interval, normalizedBound: t.value > 0 ? r.boundValue / t.value : 0 };
  });
}
