/**
 * What `mechcert main` and `mechcert report` print when the report is written: a summary in lines of at most
 * TERMINAL_WIDTH columns. Per (K, V): each strategy group's best checked bound beside the paper's, and the strategy
 * that reached it; the checker's verdicts; why any verified bound is 0; where the full report and the certificates
 * are, with a command that re-checks one. The full table (every model and strategy) is in report.md.
 */
import { join, relative, resolve } from 'node:path';
import { recheckCommand } from './certificates.js';
import { isBruteForce, isNotRun, type ReportRow } from './metrics.js';
import { canonicalGroup } from './paper.js';
import type { ReportResult } from './report.js';
import type { GroupSummary } from './summary.js';
import { fmt, fmtMeanStd, fmtSigned, zeroReason } from './tables.js';
import { TERMINAL_WIDTH, shellCommand, truncate, wrap } from './text.js';

/** A path as the user would type it here: relative to the working folder when that is shorter. */
function shown(path: string): string {
  const abs = resolve(path);
  const rel = relative(process.cwd(), abs) || '.';
  return rel.length < abs.length ? rel : abs;
}

const inSetting = (r: ReportRow, g: GroupSummary) => r.k === g.k && r.vocab === g.vocab;

/** The row that reached a group's best normalized bound (on a tie, the higher bound, then the shorter proof). */
function bestRow(rows: ReportRow[], g: GroupSummary): ReportRow | undefined {
  const mine = rows.filter((r) => inSetting(r, g) && canonicalGroup(r.group) === g.group && !isNotRun(r));
  return mine.sort((a, b) => b.normalizedBound - a.normalizedBound || b.boundValue - a.boundValue
    || Number(a.checkerOps ?? Infinity) - Number(b.checkerOps ?? Infinity))[0];
}

function groupLines(rows: ReportRow[], groups: GroupSummary[], width: number): string[] {
  const out: string[] = [];
  const settings = [...new Set(groups.map((g) => `${g.k},${g.vocab}`))];
  for (const setting of settings) {
    const gs = groups.filter((g) => `${g.k},${g.vocab}` === setting);
    const mine = rows.filter((r) => inSetting(r, gs[0]));
    const models = new Set(mine.map((r) => r.modelSha256)).size;
    const checked = mine.every((r) => r.trueAccuracySource === 'checked brute force');
    out.push(...wrap(`Best checked bound per strategy group, K=${gs[0].k} V=${gs[0].vocab}: ${models} model${models === 1 ? '' : 's'}, `
      + `${new Set(mine.map((r) => r.strategy)).size} strategies; normalized = bound ÷ ${checked ? 'the checked brute-force bound' : 'a float estimate of the accuracy (not checked)'}`
      + `${models > 1 ? ', mean ± std over models of each one\'s best' : ''}.`, width));
    const cells = gs.map((g) => [
      g.group, models > 1 ? fmtMeanStd(g.normalizedBound) : fmt(g.normalizedBound.mean), g.paper?.normalized ? fmtMeanStd(g.paper.normalized, 3) : '—',
      g.medianProofLength === null ? '—' : `${g.medianProofLength.toExponential(2).replace('e+', 'e')} ops`,
    ]);
    const header = ['group', 'normalized', 'paper', 'proof length'];
    const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
    const line = (row: string[]) => truncate(`  ${row.map((cell, c) => cell.padEnd(widths[c])).join('  ')}`.trimEnd(), width);
    out.push(line(header));
    gs.forEach((g, i) => {
      out.push(line(cells[i]));
      const best = bestRow(mine, g);
      if (best) out.push(...wrap(`${models > 1 ? `${best.modelLabel} × ` : ''}${best.strategy}`, width, `      best ${best.bound.decimal}: `, '        '));
    });
    out.push('');
  }
  return out;
}

function verdictLines(rows: ReportRow[], width: number): string[] {
  // A proof its strategy refused to run (the model is beyond its reach) made no certificate: listed apart.
  const notRun = rows.filter(isNotRun);
  const failed = rows.filter((r) => !r.verified && !isNotRun(r));
  const made = rows.length - notRun.length;
  const out = wrap(`Checker: ${made - failed.length} of ${made} certificates verified by the exact checker${failed.length ? `; ${failed.length} not:` : '.'}`, width);
  for (const r of notRun.slice(0, 8)) out.push(truncate(`  ${r.modelLabel} × ${r.strategy}: ${r.error}`, width));
  for (const r of failed.slice(0, 8)) out.push(truncate(`  ${r.modelLabel} × ${r.strategy}: ${r.error ?? 'not verified'}`, width));
  if (failed.length > 8) out.push(`  … ${failed.length - 8} more in report.md, "Failures"`);
  return out;
}

/** Verified bounds of 0 with their closest cases, grouped by the first two parts of the strategy's name. */
function zeroLines(rows: ReportRow[], width: number): string[] {
  const zeros = rows.filter((r) => r.verified && r.boundValue === 0);
  if (zeros.length === 0) return [];
  const prefix = (s: string) => (s.split('/').length > 2 ? `${s.split('/').slice(0, 2).join('/')}/*` : s);
  const byPrefix = new Map<string, ReportRow[]>();
  for (const r of zeros) byPrefix.set(prefix(r.strategy), [...(byPrefix.get(prefix(r.strategy)) ?? []), r]);
  const out = wrap(`Bound 0: ${zeros.length} verified certificate${zeros.length === 1 ? ' claims' : 's claim'} no sequence: the strategy proves no case `
    + 'on that model. Closest case, as the prover\'s bound on largest wrong logit − correct logit (< 0 proves it):', width);
  for (const [p, rs] of byPrefix) {
    const margins = rs.map((r) => r.closestMargin).filter((m): m is number => typeof m === 'number').sort((a, b) => a - b);
    const [lo, hi] = [margins[0], margins[margins.length - 1]].map((m) => (m === undefined ? '' : fmtSigned(m)));
    const why = margins.length > 0 ? (lo === hi ? lo : `${lo} to ${hi}`) : rs.length === 1 ? zeroReason(rs[0]) : 'not reported';
    const name = rs.length > 1 ? `${p} (${rs.length} of ${rows.filter((r) => prefix(r.strategy) === p).length} variants)`
      : `${new Set(rows.map((r) => r.modelSha256)).size > 1 ? `${rs[0].modelLabel} × ` : ''}${rs[0].strategy}`;
    out.push(...wrap(`${name}: ${why}`, width, '  ', '    '));
  }
  out.push('  (each one: report.md, "Bounds of 0")');
  return out;
}

function whereLines(result: ReportResult, outDir: string, width: number): string[] {
  const out = wrap(`Full table: ${shown(join(outDir, 'report.md'))} (also rows.csv, report.json and the plots there)`, width);
  const kept = result.rows.filter((r) => r.certificateFile);
  out.push(...wrap(`Certificates: ${shown(join(outDir, 'certificates'))} (${kept.length} of ${result.rows.length}); report.md lists the re-check command of each.`, width));
  // The best bound short of brute force's (whose check takes longest): a certificate worth re-checking by hand.
  const example = [...kept].sort((a, b) => b.boundValue - a.boundValue).find((r) => !isBruteForce(r.strategy) && r.verified) ?? kept[0];
  if (example?.certificateFile) {
    const model = result.modelFiles.get(example.modelSha256);
    const command = recheckCommand(shown(join(outDir, example.certificateFile)), model ? shown(join(outDir, model)) : null, example.modelSha256);
    out.push('Re-check one:', ...shellCommand(command, width, '  '));
  }
  return out;
}

export function reportSummary(result: ReportResult, outDir: string, width = TERMINAL_WIDTH): string[] {
  return [
    ...groupLines(result.rows, result.groups, width),
    ...verdictLines(result.rows, width),
    ...zeroLines(result.rows, width),
    '',
    ...whereLines(result, outDir, width),
  ];
}
