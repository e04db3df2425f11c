/**
 * The checker's entry point: certificate bytes + model bytes → Verdict. Never throws: any failure, including an
 * unexpected exception, is a verdict naming the step and the rule (rejected, or not decided here).
 *
 * Order (SPEC §3): size limits and gunzip; a byte-order mark; JSON nesting depth, element count and duplicate keys;
 * JSON.parse; the `format` major version; the JSON Schema; the claim against the model file (SHA-256 first, then K,
 * V, V^K); every step in order, each citing only earlier steps; finally claim.correct ≤ N*, the count the last
 * (count) step proved.
 */
import { decimalFloor, reduce } from './arith/exact.js';
import type { Claim, Results, StepContext, WorkBudget } from './context.js';
import { CheckError, ensure, ensureWithin, reject } from './errors.js';
import { parseJson } from './json.js';
import { MAX_CERTIFICATE_FILE_BYTES, MAX_CERTIFICATE_JSON_BYTES, MAX_STEPS, MAX_THREADS, MAX_WORK } from './limits.js';
import { loadExactModel, type ExactModel } from './model.js';
import { Ops } from './ops.js';
import type { Pool } from './parallel.js';
import { GunzipError, gunzip, sha256Hex } from './platform.js';
import { checkBruteForceCount, type BruteForceCountStep } from './rules/brute-force-count.js';
import { checkCubicCount, type CubicCountStep } from './rules/cubic-count.js';
import { checkExpTable, type ExpTableStep } from './rules/exp-table.js';
import { checkInvSqrtScale, type InvSqrtScaleStep } from './rules/inv-sqrt-scale.js';
import { checkExpGrid, type ExpGridStep } from './rules/exp-grid.js';
import { checkPrefixCount, type PrefixCountStep } from './rules/prefix-count.js';
import { checkSubcubicCount, type SubcubicCountStep } from './rules/subcubic-count.js';
import { float32Margin, marginDecimal } from './rules/float32-margin.js';
import { makeValidator } from './schema-validator.js';

export type { BruteForceCountStep, CubicCountStep, ExpGridStep, ExpTableStep, InvSqrtScaleStep, PrefixCountStep, SubcubicCountStep };
export type { CubicCase } from './rules/cubic-count.js';
export type { Claim, Float32Semantics } from './context.js';

export const CHECKER_VERSION = '0.2.0';

export interface Bound {
  /** claim.correct / claim.total, reduced. */
  numerator: string;
  denominator: string;
  /** The bound rounded down to 10 decimal places. */
  decimal: string;
}

export interface CheckFailure {
  /** Id of the failing step, or null for failures outside the steps (size, schema, format, claim, model). */
  step: string | null;
  rule: string;
  message: string;
}

interface Common {
  checkerVersion: string;
  /** Exact arithmetic operations the checker performed (decimal integer string). */
  checkerOps: string;
  /** Length of the certificate's JSON text in bytes (after gunzip when the input was gzip). */
  certificateBytes: number;
  /** SHA-256 (hex) of the certificate's JSON text; null when it could not be read. */
  certificateSha256: string | null;
  /** SHA-256 (hex) of the certificate file's bytes as given (differs from certificateSha256 only for gzip input). */
  certificateFileSha256: string;
  /** SHA-256 (hex) of the model file. */
  modelSha256: string;
}

/**
 * verified: the claim holds (exit 0); rejected: the certificate does not prove its claim (exit 1); undecided: this
 * checker stopped before deciding (a limit reached, an unsupported size, an internal error: exit 3).
 */
export type Status = 'verified' | 'rejected' | 'undecided';

export type Verdict =
  | (Common & {
    status: 'verified'; verified: true; claim: Claim; bound: Bound; /** N*: the count the checker proved (≥ claim.correct). */ counted: string;
    /** For a float32 claim: ε, the rounding margin every counted sequence's exact logit gaps beat (decimal, rounded up). */
    float32Margin?: string;
  })
  | (Common & { status: 'rejected' | 'undecided'; verified: false; claim: Claim | null; error: CheckFailure });

export interface CheckOptions {
  /**
   * Threads for brute-force and cubic counting, 1..limits.MAX_THREADS (default 1): with N > 1 the maxima are checked
   * on the calling thread and N − 1 worker threads (checker/parallel.ts); 1 keeps the single-threaded reference path.
   */
  threads?: number;
  /** Most exact operations all steps together may be estimated to need (default limits.MAX_WORK); beyond: not decided here. */
  workLimit?: number;
  /** Called as a long count advances (pieces done of total); for progress display only. */
  progress?: (done: number, total: number) => void;
}

type Step = InvSqrtScaleStep | ExpTableStep | CubicCountStep | BruteForceCountStep | ExpGridStep | SubcubicCountStep | PrefixCountStep;

interface Certificate {
  format: 'mechcert/1' | 'mechcert/1.1' | 'mechcert/1.2';
  claim: Claim;
  evidence: { steps: Step[] };
  prover: Record<string, string>;
}

/** The strategy labels each count step kind may carry (the subcubic and prefix rules then check the label against their evidence). */
const COUNT_KIND_STRATEGY: Record<string, RegExp> = {
  'cubic-count': /^cubic$/, 'brute-force-count': /^brute-force$/, 'subcubic-count': /^subcubic\//, 'prefix-count': /^mechcert\/prefix/,
};

/** The certificate's JSON text: gunzipped when it starts with the gzip magic bytes, within the size limits. */
async function certificateText(bytes: Uint8Array): Promise<Uint8Array> {
  ensureWithin(bytes.length <= MAX_CERTIFICATE_FILE_BYTES, null, 'limits', `certificate file of ${bytes.length} bytes exceeds ${MAX_CERTIFICATE_FILE_BYTES}`);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  let text: Uint8Array;
  try {
    text = await gunzip(bytes, MAX_CERTIFICATE_JSON_BYTES);
  } catch (e) {
    if (!(e instanceof GunzipError)) throw e;
    ensureWithin(!e.tooLarge, null, 'limits', `gzip certificate ${e.message}`);
    return reject(null, 'gzip', `gzip certificate is corrupt: ${e.message}`);
  }
  ensure(text[0] !== 0x1f || text[1] !== 0x8b, null, 'gzip', 'gzip certificate decompresses to gzip data: one layer of gzip is read');
  return text;
}

function parseCertificate(text: Uint8Array): Certificate {
  // A limit reached (nesting, element count) is not decided here; anything else is not a JSON certificate.
  const { value: json } = parseJson(text, 'certificate', (limit, message) => {
    throw new CheckError(null, limit ? 'limits' : 'json', message, limit);
  });
  const format = (json as { format?: unknown } | null)?.format;
  if (typeof format === 'string' && format.startsWith('mechcert/')) {
    ensure(/^mechcert\/1(\.|$)/.test(format), null, 'format', `unsupported format ${JSON.stringify(format)}: this checker reads mechcert/1`);
  }
  const validate = makeValidator();
  if (validate(json)) return json as Certificate;
  const e = validate.errors?.[0];
  return reject(null, 'schema', `${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}${e?.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

/** CheckOptions with their defaults, and the operation counter. */
type Run = CheckOptions & { ops: Ops; threads: number; work: WorkBudget };

async function verify(cert: Certificate, modelBytes: Uint8Array, modelSha256: string, run: Run): Promise<{ counted: bigint; margin: bigint }> {
  const { claim } = cert;
  ensure(claim.modelSha256 === modelSha256, null, 'claim', `claim.modelSha256 ${claim.modelSha256} is not the model file's SHA-256 ${modelSha256}`);
  const model = loadExactModel(modelBytes, run.ops, modelSha256);
  ensure(claim.k === model.k && claim.vocab === model.vocab, null, 'claim',
    `claim has K=${claim.k}, V=${claim.vocab}; the model has K=${model.k}, V=${model.vocab}`);
  const total = BigInt(model.vocab) ** BigInt(model.k);
  ensure(claim.total === total.toString(), null, 'claim', `claim.total ${claim.total} is not V^K = ${total}`);

  // A float32 claim (format 1.1, so that a 1.0 checker refuses it) counts a sequence only where its exact logit gaps
  // beat the rounding margin ε (SPEC §1.1).
  ensure(!claim.semantics || cert.format !== 'mechcert/1', null, 'format', 'claim.semantics needs format mechcert/1.1 or later');
  const margin = claim.semantics ? float32Margin(model, claim.semantics, run.ops, run.work) : 0n;
  const steps = cert.evidence.steps;
  ensureWithin(steps.length <= MAX_STEPS, null, 'limits', `${steps.length} steps exceed the limit ${MAX_STEPS}`);
  const index = new Map<string, number>();
  for (const [i, s] of steps.entries()) {
    ensure(!index.has(s.id), s.id, 'step-id', `duplicate step id ${JSON.stringify(s.id)}`);
    index.set(s.id, i);
  }
  const last = steps[steps.length - 1];
  const countKinds = steps.filter((s) => s.kind in COUNT_KIND_STRATEGY);
  ensure(countKinds.length === 1 && countKinds[0] === last, last.id, 'count-step', 'exactly one count step is required, and it must be the last step');
  // A step kind newer than the format, so that a checker of that format refuses the certificate rather than misread it.
  ensure(last.kind !== 'prefix-count' || cert.format === 'mechcert/1.2', last.id, 'format', 'a prefix-count step needs format mechcert/1.2');
  ensure(COUNT_KIND_STRATEGY[last.kind].test(claim.strategy), last.id, 'count-step', `claim.strategy ${claim.strategy} does not match the count step kind ${last.kind}`);

  // Parallel counting: workers start now, so that their start-up overlaps the earlier steps (checker/parallel.ts).
  // The module is loaded only then: a single-threaded check never loads worker_threads.
  const parallel = last.kind === 'brute-force-count' || last.kind === 'cubic-count';
  const pool = run.threads > 1 && parallel ? (await import('./parallel.js')).startPool(Math.min(run.threads, model.vocab) - 1) : null;
  try {
    return { counted: await runSteps(steps, index, model, run, pool, claim, margin), margin };
  } finally {
    pool?.stop();
  }
}

async function runSteps(steps: Step[], index: Map<string, number>, model: ExactModel, run: Run, pool: Pool | null, claim: Claim, margin: bigint): Promise<bigint> {
  const results = new Map<string, { kind: keyof Results; value: Results[keyof Results] }>();
  let counted = 0n;
  for (const [i, step] of steps.entries()) {
    const ctx: StepContext = {
      model, claim, ops: run.ops, step: step.id, work: run.work, progress: run.progress, margin,
      resolve<K extends keyof Results>(field: string, id: string, kind: K): Results[K] {
        const j = index.get(id);
        ensure(j !== undefined, step.id, 'reference', `${field} cites ${JSON.stringify(id)}, which is not a step`);
        ensure(j < i, step.id, 'reference', `${field} cites ${JSON.stringify(id)}, which is not an earlier step`);
        const r = results.get(id);
        ensure(r !== undefined && r.kind === kind, step.id, 'reference', `${field} cites ${JSON.stringify(id)}, a step of kind ${steps[j].kind}, not ${kind}`);
        return r.value as Results[K];
      },
    };
    // A count step is the last step (verify checked it): its result is the count; any other's, a citable result.
    const value = await runStep(step, ctx, pool);
    if (typeof value === 'bigint') counted = value;
    else results.set(step.id, { kind: step.kind as keyof Results, value });
  }
  ensure(BigInt(claim.correct) <= counted, steps[steps.length - 1].id, 'count', `claimed correct ${claim.correct} exceeds the ${counted} sequences proved`);
  return counted;
}

/** One step's verified result: a citable result, or (count steps) the number of sequences proved correct. */
async function runStep(step: Step, ctx: StepContext, pool: Pool | null): Promise<Results[keyof Results] | bigint> {
  switch (step.kind) {
    case 'inv-sqrt-scale': return checkInvSqrtScale(step, ctx);
    case 'exp-table': return checkExpTable(step, ctx);
    case 'exp-grid': return checkExpGrid(step, ctx);
    case 'cubic-count': return pool ? pool.cubicCount(step, ctx) : checkCubicCount(step, ctx);
    case 'brute-force-count': return pool ? pool.bruteForceCount(step, ctx) : checkBruteForceCount(step, ctx);
    case 'subcubic-count': return checkSubcubicCount(step, ctx);
    case 'prefix-count': return checkPrefixCount(step, ctx);
    // Unreachable while the schema lists the same kinds; kept so that a kind added there without a rule fails closed.
    default: return reject(ctx.step, 'kind', `no rule for step kind ${JSON.stringify((step as { kind: unknown }).kind)}`);
  }
}

/** A reason fit for one line of output: whitespace runs folded, at most 1000 characters. */
const oneLine = (s: string) => {
  const t = s.replace(/\s+/g, ' ');
  return t.length > 1000 ? `${t.slice(0, 1000)}…` : t;
};

export async function checkCertificate(certBytes: Uint8Array, modelBytes: Uint8Array, opts: CheckOptions = {}): Promise<Verdict> {
  const run: Run = { ops: new Ops(), threads: opts.threads ?? 1, work: { limit: opts.workLimit ?? MAX_WORK, used: 0 }, progress: opts.progress };
  const { ops } = run;
  const common: Common = {
    checkerVersion: CHECKER_VERSION, checkerOps: '0', certificateBytes: certBytes.length, certificateSha256: null, certificateFileSha256: '', modelSha256: '',
  };
  let claim: Claim | null = null;
  try {
    common.modelSha256 = await sha256Hex(modelBytes);
    common.certificateFileSha256 = await sha256Hex(certBytes);
    ensureWithin(Number.isSafeInteger(run.threads) && run.threads >= 1 && run.threads <= MAX_THREADS, null, 'options', `threads must be 1..${MAX_THREADS}`);
    ensureWithin(Number.isSafeInteger(run.work.limit) && run.work.limit > 0, null, 'options', 'the work limit must be a positive safe integer');
    const text = await certificateText(certBytes);
    common.certificateBytes = text.length;
    common.certificateSha256 = await sha256Hex(text);
    const cert = parseCertificate(text);
    claim = cert.claim;
    const { counted, margin } = await verify(cert, modelBytes, common.modelSha256, run);
    const bound = reduce({ p: BigInt(claim.correct), q: BigInt(claim.total) });
    return {
      ...common, checkerOps: ops.total(), status: 'verified', verified: true, claim, counted: counted.toString(),
      bound: { numerator: bound.p.toString(), denominator: bound.q.toString(), decimal: decimalFloor(bound, 10) },
      ...(claim.semantics ? { float32Margin: marginDecimal(margin) } : {}),
    };
  } catch (e) {
    // Anything thrown, including RangeError from exhausted memory or stack, is a rejection.
    const error = e instanceof CheckError
      ? { step: e.step, rule: e.rule, message: oneLine(e.message) }
      : { step: null, rule: 'internal', message: oneLine(`unexpected error: ${e instanceof Error ? e.message : String(e)}`) };
    const status = e instanceof CheckError && !e.undecided ? 'rejected' : 'undecided';
    return { ...common, checkerOps: ops.total(), status, verified: false, claim, error };
  }
}
