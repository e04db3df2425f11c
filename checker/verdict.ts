/**
 * How a verdict is printed, shared by the standalone `mechcert-check` and the prover's `mechcert check` so that the two
 * print the same bytes. Diagnostics only: nothing here decides anything.
 */
import type { Verdict } from './check.js';

/** The human-readable verdict that mechcert-check (and `mechcert check`) prints. */
export function formatVerdict(v: Verdict): string {
  if (v.verified) {
    const c = v.claim;
    return [
      'VERIFIED',
      `claim:       correct ≥ ${c.correct} of ${c.total} sequences (task ${c.task}, K=${c.k}, V=${c.vocab}, strategy ${c.strategy})`,
      `bound:       ${v.bound.numerator}/${v.bound.denominator} ≈ ${v.bound.decimal}`,
      `proved:      ${v.counted} sequences`,
      `model:       sha256 ${v.modelSha256}`,
      `certificate: sha256 ${v.certificateSha256} (${v.certificateBytes} bytes)`,
      `checker:     mechcert-checker ${v.checkerVersion}, ${v.checkerOps} exact operations`,
      ...(v.certificateFileSha256 !== v.certificateSha256 ? [`file:        sha256 ${v.certificateFileSha256} (as given, before gunzip)`] : []),
      `cite:        mechcert-checker ${v.checkerVersion} verified accuracy ≥ ${v.bound.numerator}/${v.bound.denominator} (${c.correct} of ${c.total}, strategy ${c.strategy}) `
        + `for model sha256:${v.modelSha256}, certificate sha256:${v.certificateSha256}`,
    ].join('\n');
  }
  const e = v.error;
  return [
    'NOT VERIFIED',
    `step:        ${e.step ?? '(none)'}`,
    `rule:        ${e.rule}`,
    `reason:      ${e.message}`,
    `model:       sha256 ${v.modelSha256}`,
    `certificate: sha256 ${v.certificateSha256 ?? '(unreadable)'} (${v.certificateBytes} bytes)`,
    `checker:     mechcert-checker ${v.checkerVersion}`,
  ].join('\n');
}

/** The one-object JSON verdict of `--json`. */
export function formatVerdictJson(v: Verdict): string {
  const claim = v.claim;
  return JSON.stringify({
    verified: v.verified,
    correct: claim?.correct ?? null,
    total: claim?.total ?? null,
    bound: v.verified ? v.bound : null,
    counted: v.verified ? v.counted : null,
    strategy: claim?.strategy ?? null,
    claim,
    modelSha256: v.modelSha256,
    certificateSha256: v.certificateSha256,
    certificateBytes: v.certificateBytes,
    certificateFileSha256: v.certificateFileSha256,
    checkerVersion: v.checkerVersion,
    checkerOps: v.checkerOps,
    ...(v.verified ? {} : { error: v.error }),
  });
}
