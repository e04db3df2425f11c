/**
 * The certificate format v1 (schemas/SPEC.md) as the prover writes it, and the one writer: canonical JSON (object
 * keys sorted, no whitespace, one trailing newline) so that the same model and strategy give the same bytes, written
 * atomically, gzip-compressed (deterministically: no timestamp, fixed level) when the path ends in `.gz`.
 */
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../util/atomic.js';
// The step shapes are the checker's (SPEC §4): the prover writes exactly the types the checker reads.
import type { BruteForceCountStep, CubicCase, CubicCountStep, ExpTableStep, Float32Semantics, InvSqrtScaleStep } from 'mechcert-checker';

export const FORMAT = 'mechcert/1';
/** The format of a claim with semantics (SPEC §1.1): a checker that reads only 1.0 refuses it rather than ignore it. */
export const FORMAT_SEMANTICS = 'mechcert/1.1';
/** The format that added the prefix-count step (SPEC §4.7); it may also carry semantics. */
export const FORMAT_PREFIX = 'mechcert/1.2';
export const PROVER = { name: 'mechcert', version: '0.1.0' } as const;

export interface Claim {
  modelSha256: string;
  task: 'max-of-k';
  k: number;
  vocab: number;
  strategy: string;
  correct: string;
  total: string;
  /** Absent: the exact computation. float32: the deployed computation (SPEC §1.1). */
  semantics?: Float32Semantics;
}

export type { InvSqrtScaleStep, ExpTableStep, CubicCase, CubicCountStep, BruteForceCountStep };

export type Step = InvSqrtScaleStep | ExpTableStep | CubicCountStep | BruteForceCountStep;

export interface Certificate {
  format: typeof FORMAT | typeof FORMAT_SEMANTICS | typeof FORMAT_PREFIX;
  claim: Claim;
  evidence: { steps: Step[] };
  prover: { name: string; version: string };
}

/** JSON with object keys sorted at every level and no whitespace: equal values give equal bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not finite`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: cannot encode ${typeof value}`);
}

/** The certificate's bytes: canonical JSON plus a newline, gzip-compressed when `gzip` is set. */
export function certificateBytes(cert: Certificate, gzip = false): Uint8Array {
  const text = Buffer.from(`${canonicalJson(cert)}\n`, 'utf8');
  return gzip ? new Uint8Array(gzipSync(text, { level: 9 })) : new Uint8Array(text);
}

/** Writes the certificate atomically; `.gz` paths are gzip-compressed. Returns the bytes written. */
export function writeCertificate(path: string, cert: Certificate): Uint8Array {
  const bytes = certificateBytes(cert, path.endsWith('.gz'));
  writeFileAtomic(path, bytes);
  return bytes;
}
