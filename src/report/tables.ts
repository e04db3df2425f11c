/**
 * The report's tables: per-model rows and per-group summaries, as Markdown, CSV (RFC 4180 quoting) and JSON.
 */
import { isBruteForce, type ReportRow } from './metrics.js';
import type { GroupSummary, MeanStd } from './summary.js';

const SOURCE_SHORT: Record<string, string> = {
  'checked brute force': 'checked brute force',
  'float exhaustive count (not checked)': 'float exhaustive count†',
  'stratified estimate (float, not checked)': 'stratified estimate†',
};

export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  return x.toFixed(digits);
}

export function fmtMeanStd(m: MeanStd | [number, number] | null, digits = 4): string {
  if (m === null) return '—';
  if (Array.isArray(m)) return `${m[0].toFixed(digits)} ± ${m[1].toFixed(digits)}`;
  if (m.n === 0) return '—';
  return `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}`;
}

function fmtInt(x: number | string | null): string {
  if (x === null) return '—';
  const n = typeof x === 'string' ? BigInt(x) : BigInt(Math.round(x));
  return n.toLocaleString('en-US');
}

function fmtSci(x: number | string | null): string {
  if (x === null) return '—';
  const n = Number(x);
  return n < 1e5 ? fmtInt(x) : n.toExponential(2);
}

function escapeMd(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function mdTable(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map(escapeMd).join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

export function rowsMarkdown(rows: ReportRow[]): string {
  const header = ['model', 'seed', 'K', 'V', 'strategy', 'group', 'checked', 'bound (exact)', 'bound', 'true acc.', 'normalized', 'proof length (ops)', 'unexpl. dim', 'cert bytes', 'cert gzip', 'prover s', 'checker s'];
  const body = rows.map((r) => [
    r.modelLabel, r.seed === null ? '—' : String(r.seed), String(r.k), String(r.vocab), r.strategy, r.group,
    r.verified ? 'yes' : `NO: ${r.error ?? ''}`.slice(0, 120),
    `${r.bound.numerator}/${r.bound.denominator}`, r.bound.decimal,
    `${fmt(r.trueAccuracy, 6)} (${SOURCE_SHORT[r.trueAccuracySource] ?? r.trueAccuracySource})`,
    fmt(r.normalizedBound), fmtSci(r.checkerOps), fmtInt(r.unexplainedDimension),
    fmtInt(r.certificateBytes), fmtInt(r.certificateGzipBytes), fmt(r.proverSeconds, 2), fmt(r.checkerSeconds, 2),
  ]);
  return mdTable(header, body);
}

export function groupsMarkdown(groups: GroupSummary[]): string {
  const header = ['K, V', 'group', 'models', 'strategies', 'failed', 'bound (mean ± std)', 'paper bound', 'normalized (mean ± std)', 'paper normalized', 'median proof length (ops)', 'paper FLOPs', 'unexpl. dim', 'paper unexpl. dim', 'normalizer'];
  const body = groups.map((g) => [
    `K=${g.k}, V=${g.vocab}`, g.group, String(g.models), String(g.strategies), g.notRun ? `${g.failures}; ${g.notRun}` : String(g.failures),
    fmtMeanStd(g.bound), fmtMeanStd(g.paper?.bound ?? null), fmtMeanStd(g.normalizedBound), fmtMeanStd(g.paper?.normalized ?? null, 3),
    fmtSci(g.medianProofLength), g.paper?.flops ?? '—',
    g.unexplainedDimension === null ? '—' : g.unexplainedDimension.min === g.unexplainedDimension.max ? fmtInt(g.unexplainedDimension.min) : `${fmtInt(g.unexplainedDimension.min)}–${fmtInt(g.unexplainedDimension.max)}`,
    g.paper?.unexplainedDimension ?? '—',
    g.normalizerSources.map((s) => SOURCE_SHORT[s] ?? s).join(', '),
  ]);
  return mdTable(header, body);
}

/** A logit difference with its sign, three significant digits (0.0412 → "+0.0412", −2.5e−8 → "−2.50e-8"). */
export function fmtSigned(x: number): string {
  const abs = Math.abs(x);
  const digits = abs !== 0 && (abs < 1e-3 || abs >= 1e4) ? abs.toExponential(2) : abs.toPrecision(3);
  return `${x < 0 ? '−' : '+'}${digits}`;
}

/** Why a row's bound is 0: the checker's or prover's error, or (verified) that the strategy proves no case. */
export function zeroReason(r: ReportRow): string {
  if (!r.verified) return `not verified: ${r.error ?? 'no verdict'}`;
  if (isBruteForce(r.strategy)) return 'the model is wrong on every sequence (brute force counts exactly)';
  return `proves no case on this model; ${closestCase(r)}`;
}

/** The prover's closest case of a row, in words. */
export function closestCase(r: ReportRow): string {
  return typeof r.closestMargin === 'number'
    ? `in its closest case, largest wrong logit − correct logit ≤ ${fmtSigned(r.closestMargin)} (a case needs < 0)`
    : 'its prover reports no closest case';
}

export const FLOAT_ESTIMATE_NOTE =
  '† normalized by the float evaluation, not by a checked brute-force bound: its exhaustive count over all V^K sequences, or, beyond 2^31 sequences, a stratified estimate (classes by max, query, number of non-max tokens and largest non-max token; its 95% interval is in report.json as trueAccuracyInterval); such a normalized bound is not certified.';

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

export const ROW_COLUMNS = [
  'modelLabel', 'modelSha256', 'seed', 'k', 'vocab', 'dModel', 'dHead', 'strategy', 'group', 'complexity', 'verified', 'error',
  'correct', 'total', 'boundNumerator', 'boundDenominator', 'boundDecimal', 'trueAccuracy', 'trueAccuracySource', 'normalizedBound',
  'checkerOps', 'unexplainedDimension', 'certificateBytes', 'certificateGzipBytes', 'certificateSha256', 'proverSeconds', 'checkerSeconds',
  'closestMargin', 'certificateFile',
] as const;

export function rowsCsv(rows: ReportRow[]): string {
  return toCsv([...ROW_COLUMNS], rows.map((r) => ROW_COLUMNS.map((c) => {
    if (c === 'boundNumerator') return r.bound.numerator;
    if (c === 'boundDenominator') return r.bound.denominator;
    if (c === 'boundDecimal') return r.bound.decimal;
    return r[c];
  })));
}

export function groupsCsv(groups: GroupSummary[]): string {
  const header = ['k', 'vocab', 'group', 'models', 'strategies', 'failures', 'boundMean', 'boundStd', 'normalizedMean', 'normalizedStd', 'normalizedMin', 'normalizedMax',
    'paperBoundMean', 'paperBoundStd', 'paperNormalizedMean', 'paperNormalizedStd', 'medianProofLength', 'paperFlops', 'unexplainedDimMin', 'unexplainedDimMax', 'paperUnexplainedDim',
    'meanProverSeconds', 'meanCheckerSeconds', 'normalizerSources'];
  return toCsv(header, groups.map((g) => [
    g.k, g.vocab, g.group, g.models, g.strategies, g.failures, g.bound.mean, g.bound.std, g.normalizedBound.mean, g.normalizedBound.std, g.normalizedBound.min, g.normalizedBound.max,
    g.paper?.bound?.[0], g.paper?.bound?.[1], g.paper?.normalized?.[0], g.paper?.normalized?.[1], g.medianProofLength, g.paper?.flops, g.unexplainedDimension?.min, g.unexplainedDimension?.max,
    g.paper?.unexplainedDimension, g.meanProverSeconds, g.meanCheckerSeconds, g.normalizerSources.join('; '),
  ]));
}
