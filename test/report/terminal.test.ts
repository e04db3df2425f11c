/**
 * The terminal summary (src/report/terminal.ts) and its text layout (src/report/text.ts), on synthetic rows with the
 * registry's longest strategy names: every line fits 100 columns, each group's best is named, bounds of 0 say why,
 * and the report's and certificates' paths are given with a re-check command.
 */
import { describe, expect, it } from 'vitest';
import { normalize, type ReportRow } from '../../src/report/metrics.js';
import type { ReportResult } from '../../src/report/report.js';
import { summarizeGroups } from '../../src/report/summary.js';
import { reportSummary } from '../../src/report/terminal.js';
import { elide, shellCommand, TERMINAL_WIDTH, wrap } from '../../src/report/text.js';
import { syntheticRow } from './synthetic.js';

const columns = (line: string) => [...line].length;
const SHA = 'c'.repeat(64);
const LONG = 'subcubic/svd_query+max_diff/drop_average_query_per_output_logit_reasoning/mean_recursive+max_diff_subproduct_recursive';

function result(): ReportResult {
  const row = (strategy: string, group: string, correct: bigint, extra: Partial<ReportRow> = {}) =>
    ({ ...syntheticRow({ sha: SHA, label: 'max4-v64-s123', seed: 123, k: 4, vocab: 64, strategy, group, correct, ops: 1e6 }), ...extra });
  const metrics = [
    row('brute-force', 'brute force', 16_769_030n),
    row('cubic', 'cubic', 16_682_424n),
    row('subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact', 'subcubic', 14_348_000n),
    row(LONG, 'attention-quadratic, direct-quadratic', 0n, { closestMargin: 0.4123 }),
    row('subcubic/svd_query+max_diff/mean_query+diff/svd', 'attention-V·d²', 0n, { closestMargin: 2.5 }),
    row('subcubic/max_diff/mean_query+diff/svd', 'attention-V·d², direct-quadratic', 0n, { verified: false, error: `checker rejected at step count (subcubic-count): ${'x'.repeat(150)}` }),
  ];
  const rows = normalize(metrics, () => { throw new Error('brute force is there'); })
    .map((r) => ({ ...r, certificateFile: r.verified ? `certificates/max4-v64-s123/${r.strategy}.json.gz` : null }));
  return { rows, groups: summarizeGroups(rows), files: [], modelFiles: new Map([[SHA, 'models/max4-v64-s123.safetensors']]) };
}

describe('reportSummary', () => {
  const lines = reportSummary(result(), 'reports/main');
  const text = lines.join('\n');

  it('fits every line in 100 columns, the longest strategy name included', () => {
    for (const line of lines) expect(columns(line), line).toBeLessThanOrEqual(TERMINAL_WIDTH);
    expect(text.replace(/\n\s+/g, '')).toContain(LONG);
  });

  it("names each group's best strategy and bound", () => {
    expect(text).toMatch(/^ {2}cubic +0\.9948/m);
    expect(text).toContain('best 0.9943499565: cubic');
    expect(text).toContain('best 0.8552074432: subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact');
  });

  it('gives the verdicts and why each verified bound is 0', () => {
    expect(text).toContain('Checker: 5 of 6 certificates verified by the exact checker; 1 not:');
    expect(text).toMatch(/^ {2}max4-v64-s123 × subcubic\/max_diff\/mean_query\+diff\/svd: checker rejected at step count .*…$/m);
    expect(text).toContain('Bound 0: 2 verified certificates claim no sequence: the strategy proves no case on that model.');
    expect(text).toContain('subcubic/svd_query+max_diff/* (2 of 2 variants): +0.412 to +2.50');
  });

  it('says where the full report and the certificates are, with a command that re-checks one', () => {
    expect(text).toContain('Full table: reports/main/report.md');
    expect(text).toContain('Certificates: reports/main/certificates (5 of 6)');
    expect(text).toContain([
      'Re-check one:',
      '  npx mechcert-check reports/main/certificates/max4-v64-s123/cubic.json.gz \\',
      '    --model reports/main/models/max4-v64-s123.safetensors',
    ].join('\n'));
  });
});

describe('text layout', () => {
  it('elides in the middle', () => {
    expect(elide('abcdefghij', 5)).toBe('ab…ij');
    expect(elide('abc', 5)).toBe('abc');
  });

  it('wraps at spaces, and after "/" in a word longer than a line', () => {
    expect(wrap('aaa bbb ccc', 7, '', '  ')).toEqual(['aaa bbb', '  ccc']);
    expect(wrap('x a/bb/ccc/dddd', 8, '', '')).toEqual(['x a/bb/', 'ccc/dddd']);
    expect(wrap('a/bb/ccc/dddd/e', 6, '', '')).toEqual(['a/bb/', 'ccc/', 'dddd/e']);
  });

  it('breaks a command with " \\" continuations, never inside a word', () => {
    expect(shellCommand(['npx', 'check', 'certificate.json.gz', '--model m'], 30, '  ')).toEqual(['  npx check \\', '    certificate.json.gz \\', '    --model m']);
  });
});
