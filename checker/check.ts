/**
 * The checker's entry point: certificate bytes + model bytes → Verdict. Never throws: any failure, including an
 * unexpected exception, is a rejection naming the step and the rule.
 *
 * Order (SPEC §3): size limits and gunzip; JSON nesting depth; JSON.parse; the `format` major version; the JSON
 * Schema; the claim against the model file (SHA-256 first, then K, V, V^K); every step in order, each citing only
 * earlier steps; finally claim.correct ≤ N*, the count the last (count) step proved.
 */
import { gunzipSync } from 'node:zlib';
import { Ajv2020 } from 'ajv/dist/2020.js';
import schema from '../schemas/certificate.schema.json' with { type: 'json' };
import { decimalFloor, reduce } from './arith/exact.js';
import type { Results, StepContext } from './context.js';
import { CheckError, ensure, reject } from './errors.js';
import { jsonShape } from './json.js';
import {
  MAX_CERTIFICATE_FILE_BYTES, MAX_CERTIFICATE_JSON_BYTES, MAX_JSON_DEPTH, MAX_JSON_VALUES, MAX_STEPS, MAX_THREADS,
} from './limits.js';
import type { Worker } from 'node:worker_threads';
import { loadExactModel, sha256Hex, type ExactModel } from './model.js';
import { Ops } from './ops.js';
import { checkBruteForceCountParallel, checkCubicCountParallel, startWorkers, stopWorkers } from './parallel.js';
import { checkBruteForceCount, type BruteForceCountStep } from './rules/brute-force-count.js';
import { checkCubicCount, type CubicCountStep } from './rules/cubic-count.js';
import { checkExpTable, type ExpTableStep } from './rules/exp-table.js';
import { checkInvSqrtScale, type InvSqrtScaleStep } from './rules/inv-sqrt-scale.js';
import { checkExpGrid, checkSubcubicCount, type ExpGridStep, type SubcubicCountStep } from './rules/subcubic.js';

export const CHECKER_VERSION = '0.1.0';

export interface Claim {
  modelSha256: string;
  task: 'max-of-k';
  k: number;
  vocab: number;
  strategy: 'cubic' | 'brute-force' | `subcubic/${string}`;
  correct: string;
  total: string;
}

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

export type Verdict =
  | (Common & { verified: true; claim: Claim; bound: Bound; /** N*: the count the checker proved (≥ claim.correct). */ counted: string })
  | (Common & { verified: false; claim: Claim | null; error: CheckFailure });

export interface CheckOptions {
  /**
   * Threads for brute-force and cubic counting, 1..limits.MAX_THREADS (default 1): with N > 1 the maxima are checked
   * on the calling thread and N − 1 worker threads (checker/parallel.ts); 1 keeps the single-threaded reference path.
   */
  threads?: number;
}

type Step = InvSqrtScaleStep | ExpTableStep | CubicCountStep | BruteForceCountStep | ExpGridStep | SubcubicCountStep;

interface Certificate {
  format: 'mechcert/1';
  claim: Claim;
  evidence: { steps: Step[] };
  prover: Record<string, string>;
}

const COUNT_KIND_STRATEGY: Record<string, string> = { 'cubic-count': 'cubic', 'brute-force-count': 'brute-force', 'subcubic-count': 'subcubic' };

/** Compiled once; its `errors` property is read synchronously right after each call, so calls cannot interleave. */
const validate = new Ajv2020({ strict: true, allErrors: false }).compile<Certificate>(schema);

/** The certificate's JSON text: gunzipped when it starts with the gzip magic bytes, within the size limits. */
function certificateText(bytes: Uint8Array): Uint8Array {
  ensure(bytes.length <= MAX_CERTIFICATE_FILE_BYTES, null, 'limits', `certificate file of ${bytes.length} bytes exceeds ${MAX_CERTIFICATE_FILE_BYTES}`);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_CERTIFICATE_JSON_BYTES });
  } catch (e) {
    return reject(null, 'limits', `gzip certificate does not decompress within ${MAX_CERTIFICATE_JSON_BYTES} bytes: ${(e as Error).message}`);
  }
}

function parseCertificate(text: Uint8Array): Certificate {
  let str: string;
  try {
    str = new TextDecoder('utf-8', { fatal: true }).decode(text);
  } catch {
    return reject(null, 'json', 'certificate is not UTF-8 text');
  }
  const shape = jsonShape(str);
  ensure(shape.depth <= MAX_JSON_DEPTH, null, 'limits', `JSON nesting deeper than ${MAX_JSON_DEPTH}`);
  ensure(shape.values <= MAX_JSON_VALUES, null, 'limits', `JSON text holds more than ${MAX_JSON_VALUES} array elements and object members`);
  let json: unknown;
  try {
    json = JSON.parse(str);
  } catch (e) {
    return reject(null, 'json', `certificate is not JSON: ${(e as Error).message}`);
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (typeof format === 'string' && format.startsWith('mechcert/')) {
    ensure(/^mechcert\/1(\.|$)/.test(format), null, 'format', `unsupported format ${JSON.stringify(format)}: this checker reads mechcert/1`);
  }
  if (validate(json)) return json;
  const e = validate.errors?.[0];
  return reject(null, 'schema', `${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}${e?.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

async function verify(cert: Certificate, modelBytes: Uint8Array, modelSha256: string, ops: Ops, threads: number): Promise<bigint> {
  const { claim } = cert;
  ensure(claim.modelSha256 === modelSha256, null, 'claim', `claim.modelSha256 ${claim.modelSha256} is not the model file's SHA-256 ${modelSha256}`);
  const model = loadExactModel(modelBytes, ops);
  ensure(claim.k === model.k && claim.vocab === model.vocab, null, 'claim',
    `claim has K=${claim.k}, V=${claim.vocab}; the model has K=${model.k}, V=${model.vocab}`);
  const total = BigInt(model.vocab) ** BigInt(model.k);
  ensure(claim.total === total.toString(), null, 'claim', `claim.total ${claim.total} is not V^K = ${total}`);

  const steps = cert.evidence.steps;
  ensure(steps.length <= MAX_STEPS, null, 'limits', `${steps.length} steps exceed the limit ${MAX_STEPS}`);
  const index = new Map<string, number>();
  for (const [i, s] of steps.entries()) {
    ensure(!index.has(s.id), s.id, 'step-id', `duplicate step id ${JSON.stringify(s.id)}`);
    index.set(s.id, i);
  }
  const last = steps[steps.length - 1];
  const countKinds = steps.filter((s) => s.kind in COUNT_KIND_STRATEGY);
  ensure(countKinds.length === 1 && countKinds[0] === last, last.id, 'count-step', 'exactly one count step is required, and it must be the last step');
  ensure(COUNT_KIND_STRATEGY[last.kind] === claim.strategy.replace(/^subcubic\/.*/, 'subcubic'), last.id, 'count-step', `claim.strategy ${claim.strategy} does not match the count step kind ${last.kind}`);

  // Parallel counting: workers start now, so that their start-up overlaps the earlier steps (checker/parallel.ts).
  const parallel = last.kind === 'brute-force-count' || last.kind === 'cubic-count';
  const pool = threads > 1 && parallel ? startWorkers(Math.min(threads, model.vocab) - 1) : [];
  try {
    return await runSteps(steps, index, model, ops, pool, claim);
  } finally {
    stopWorkers(pool);
  }
}

async function runSteps(steps: Step[], index: Map<string, number>, model: ExactModel, ops: Ops, pool: Worker[], claim: Claim): Promise<bigint> {
  const last = steps[steps.length - 1];
  const results = new Map<string, { kind: keyof Results; value: Results[keyof Results] }>();
  let counted = 0n;
  for (const [i, step] of steps.entries()) {
    const ctx: StepContext = {
      model, ops, step: step.id,
      resolve<K extends keyof Results>(field: string, id: string, kind: K): Results[K] {
        const j = index.get(id);
        ensure(j !== undefined, step.id, 'reference', `${field} cites ${JSON.stringify(id)}, which is not a step`);
        ensure(j < i, step.id, 'reference', `${field} cites ${JSON.stringify(id)}, which is not an earlier step`);
        const r = results.get(id);
        ensure(r !== undefined && r.kind === kind, step.id, 'reference', `${field} cites ${JSON.stringify(id)}, a step of kind ${steps[j].kind}, not ${kind}`);
        return r.value as Results[K];
      },
    };
    switch (step.kind) {
      case 'inv-sqrt-scale':
        results.set(step.id, { kind: step.kind, value: checkInvSqrtScale(step, ctx) });
        break;
      case 'exp-table':
        results.set(step.id, { kind: step.kind, value: checkExpTable(step, ctx) });
        break;
      case 'cubic-count':
        counted = pool.length > 0 ? await checkCubicCountParallel(step, ctx, pool) : checkCubicCount(step, ctx);
        break;
      case 'brute-force-count':
        counted = pool.length > 0 ? await checkBruteForceCountParallel(step, ctx, pool) : checkBruteForceCount(step, ctx);
        break;
      case 'exp-grid':
        results.set(step.id, { kind: step.kind, value: checkExpGrid(step, ctx) });
        break;
      case 'subcubic-count':
        counted = checkSubcubicCount(step, ctx);
        break;
      default: {
        const unknown: never = step;
        reject(null, 'kind', `unknown step kind ${JSON.stringify((unknown as { kind: unknown }).kind)}`);
      }
    }
  }
  ensure(BigInt(claim.correct) <= counted, last.id, 'count', `claimed correct ${claim.correct} exceeds the ${counted} sequences proved`);
  return counted;
}

/** A reason fit for one line of output: whitespace runs folded, at most 1000 characters. */
const oneLine = (s: string) => {
  const t = s.replace(/\s+/g, ' ');
  return t.length > 1000 ? `${t.slice(0, 1000)}…` : t;
};

export async function checkCertificate(certBytes: Uint8Array, modelBytes: Uint8Array, opts: CheckOptions = {}): Promise<Verdict> {
  const ops = new Ops();
  const common: Common = {
    checkerVersion: CHECKER_VERSION,
    checkerOps: '0',
    certificateBytes: certBytes.length,
    certificateSha256: null,
    certificateFileSha256: '',
    modelSha256: '',
  };
  let claim: Claim | null = null;
  try {
    common.modelSha256 = sha256Hex(modelBytes);
    common.certificateFileSha256 = sha256Hex(certBytes);
    const threads = opts.threads ?? 1;
    ensure(Number.isSafeInteger(threads) && threads >= 1 && threads <= MAX_THREADS, null, 'options', `threads must be 1..${MAX_THREADS}`);
    const text = certificateText(certBytes);
    common.certificateBytes = text.length;
    common.certificateSha256 = sha256Hex(text);
    const cert = parseCertificate(text);
    claim = cert.claim;
    const counted = await verify(cert, modelBytes, common.modelSha256, ops, threads);
    const bound = reduce({ p: BigInt(claim.correct), q: BigInt(claim.total) });
    return {
      ...common, checkerOps: ops.total(), verified: true, claim, counted: counted.toString(),
      bound: { numerator: bound.p.toString(), denominator: bound.q.toString(), decimal: decimalFloor(bound, 10) },
    };
  } catch (e) {
    // Anything thrown, including RangeError from exhausted memory or stack, is a rejection.
    const error = e instanceof CheckError
      ? { step: e.step, rule: e.rule, message: oneLine(e.message) }
      : { step: null, rule: 'internal', message: oneLine(`unexpected error: ${e instanceof Error ? e.message : String(e)}`) };
    return { ...common, checkerOps: ops.total(), verified: false, claim, error };
  }
}
