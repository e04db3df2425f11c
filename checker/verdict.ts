/**
 * How a verdict is printed, shared by the standalone `mechcert-check`, the prover's `mechcert check` and the browser
 * page, so that all print the same text. Diagnostics only: nothing here decides anything.
 *
 * Certificates are untrusted text, and so is every message quoting them: before anything is printed, control
 * characters (C0, DEL, C1: a terminal would act on an escape sequence), bidirectional and invisible formatting
 * characters (they reorder or hide what is shown) and lone surrogates (no strict JSON reader accepts them) become
 * visible `\u{…}` escapes.
 */
import type { Status, Verdict } from './check.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `s` with every unprintable character written as a `\u{hex}` escape. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** The exit status of a verdict: 0 verified, 1 rejected, 3 not decided here (2 is the CLI's usage or I/O error). */
export function exitCode(status: Status): number {
  return status === 'verified' ? 0 : status === 'rejected' ? 1 : 3;
}

/** The human-readable verdict. */
export function formatVerdict(v: Verdict): string {
  const lines = v.verified ? verifiedLines(v) : failedLines(v);
  return lines.map(printable).join('\n');
}

function verifiedLines(v: Extract<Verdict, { verified: true }>): string[] {
  const c = v.claim;
  return [
    'VERIFIED',
    `claim:       correct ≥ ${c.correct} of ${c.total} sequences (task ${c.task}, K=${c.k}, V=${c.vocab}, strategy ${c.strategy})`,
    `semantics:   ${semantics(v)}`,
    `bound:       ${v.bound.numerator}/${v.bound.denominator} ≈ ${v.bound.decimal}`,
    `proved:      ${v.counted} sequences`,
    `model:       sha256 ${v.modelSha256}`,
    `certificate: sha256 ${v.certificateSha256} (${v.certificateBytes} bytes)`,
    `checker:     mechcert-checker ${v.checkerVersion}, ${v.checkerOps} exact operations`,
    ...(v.certificateFileSha256 !== v.certificateSha256 ? [`file:        sha256 ${v.certificateFileSha256} (as given, before gunzip)`] : []),
    citeLine(v),
  ];
}

/** What computation the claim is about (SPEC §1 and §1.1). */
export function semantics(v: Extract<Verdict, { verified: true }>): string {
  const s = v.claim.semantics;
  return s ? `float32 as deployed (any summation order, with or without FMA; exp ≤ ${s.expUlps} ulp, division ≤ ${s.divUlps} ulp, sqrt ≤ ${s.sqrtUlps} ulp; rounding margin ε ≤ ${v.float32Margin})`
    : 'exact real arithmetic on the float32 weights';
}

/** The one sentence that states what was verified. */
export function citeLine(v: Extract<Verdict, { verified: true }>): string {
  const c = v.claim;
  const float32 = c.semantics ? ` as executed in float32 (exp ≤ ${c.semantics.expUlps} ulp, division ≤ ${c.semantics.divUlps} ulp, sqrt ≤ ${c.semantics.sqrtUlps} ulp)` : '';
  return printable(`cite:        mechcert-checker ${v.checkerVersion} verified accuracy ≥ ${v.bound.numerator}/${v.bound.denominator}${float32} (${c.correct} of ${c.total}, strategy ${c.strategy}) `
    + `for model sha256:${v.modelSha256}, certificate sha256:${v.certificateSha256}`);
}

function failedLines(v: Extract<Verdict, { verified: false }>): string[] {
  const e = v.error;
  return [
    v.status === 'undecided' ? 'NOT DECIDED (this checker stopped before deciding; the certificate was neither verified nor refuted)' : 'NOT VERIFIED',
    `step:        ${e.step ?? '(none)'}`,
    `rule:        ${e.rule}`,
    `reason:      ${e.message}`,
    `model:       sha256 ${v.modelSha256}`,
    `certificate: sha256 ${v.certificateSha256 ?? '(unreadable)'} (${v.certificateBytes} bytes)`,
    `checker:     mechcert-checker ${v.checkerVersion}`,
  ];
}

/** The one-object JSON verdict of `--json`: always valid, strict JSON (see `printable`). */
export function formatVerdictJson(v: Verdict): string {
  const claim = v.claim;
  const out = {
    status: v.status,
    verified: v.verified,
    correct: claim?.correct ?? null,
    total: claim?.total ?? null,
    bound: v.verified ? v.bound : null,
    counted: v.verified ? v.counted : null,
    strategy: claim?.strategy ?? null,
    semantics: claim?.semantics?.kind ?? (claim ? 'exact' : null),
    ...(v.verified && v.float32Margin !== undefined ? { float32Margin: v.float32Margin } : {}),
    claim,
    modelSha256: v.modelSha256,
    certificateSha256: v.certificateSha256,
    certificateBytes: v.certificateBytes,
    certificateFileSha256: v.certificateFileSha256,
    checkerVersion: v.checkerVersion,
    checkerOps: v.checkerOps,
    ...(v.verified ? { cite: citeLine(v).replace(/^cite:\s+/, '') } : { error: v.error }),
  };
  return JSON.stringify(out, (_key, value: unknown) => (typeof value === 'string' ? printable(value) : value));
}
