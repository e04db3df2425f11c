/**
 * How a verdict is printed, shared by the standalone `mechcert-check`, the prover's `mechcert check` and the browser
 * page, so that all print the same text. Diagnostics only: nothing here decides anything.
 *
 * Certificates are untrusted text, and so is every message quoting them: before anything is printed, every character
 * that is not visible text becomes a visible `\u{…}` escape: Unicode's "other" characters (\p{C}: controls, where a
 * terminal would act on an escape sequence; formatting characters such as the bidirectional controls, which reorder
 * what is shown; lone surrogates, which no strict JSON reader accepts; private-use and unassigned code points), the
 * default-ignorable ones (\p{DI}: zero-width, variation selectors, tag characters, Hangul fillers: they hide text)
 * and every separator but the space (\p{Z}: line and paragraph separators, spaces that look like U+0020).
 */
import type { Status, Verdict } from './check.js';

const UNPRINTABLE = /(?! )[\p{C}\p{DI}\p{Z}]/gu;

/** Most characters of a printed reason, after escaping (SPEC §5). */
const MAX_REASON_CHARS = 1000;

/** `s` with every unprintable character written as a `\u{hex}` escape. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** A printed reason: escaped, then cut to MAX_REASON_CHARS code points, never inside an escape. */
export function printedReason(message: string): string {
  const chars = Array.from(printable(message));
  if (chars.length <= MAX_REASON_CHARS) return chars.join('');
  return `${chars.slice(0, MAX_REASON_CHARS - 1).join('').replace(/\\(u(\{[0-9a-f]*)?)?$/, '')}…`;
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
    `reason:      ${printedReason(e.message)}`,
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
    ...(v.verified ? { cite: citeLine(v).replace(/^cite:\s+/, '') } : { error: { ...v.error, message: printedReason(v.error.message) } }),
  };
  return JSON.stringify(out, (_key, value: unknown) => (typeof value === 'string' ? printable(value) : value));
}
