/**
 * `mechcert main` (what `npm start` runs): the whole job on the shipped default model. Evaluate it in float, prove it
 * with every registered strategy, check every certificate with the exact checker, print the table, and write the
 * report (tables and plots) to reports/main/.
 */
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

export const DEFAULT_MODEL = 'models/max4-v64-s123.safetensors';

export function register(program: Command): void {
  program
    .command('main')
    .description('the main job: prove the default model with every strategy, check every certificate, print the table, write the report')
    .option('--model <path>', 'model file', DEFAULT_MODEL)
    .option('--strategies <list>', 'comma-separated strategy names or patterns (default: every strategy)')
    .option('--out <dir>', 'report folder', 'reports/main')
    .action(async (opts: { model: string; strategies?: string; out: string }) => {
      if (!existsSync(opts.model)) throw new UsageError(`model file not found: ${opts.model}`);
      const t0 = performance.now();
      const [{ readModel }, { evaluateExhaustive }, { writeReport }] = await Promise.all([
        import('../../model/model.js'), import('../../eval/exhaustive.js'), import('../../report/report.js'),
      ]);
      const model = readModel(opts.model);
      const { k, vocab } = model.config;
      process.stderr.write(`mechcert: ${opts.model} (K=${k}, V=${vocab}, sha256 ${model.sha256})\n`);
      const threads = availableParallelism();
      const acc = await evaluateExhaustive(model, { threads });
      process.stdout.write(`float evaluation: ${acc.correct} / ${acc.total} correct (accuracy ${acc.accuracy.toFixed(6)}, not a proof)\n\n`);
      const strategies = opts.strategies?.split(',').map((s) => s.trim()).filter(Boolean);
      const result = await writeReport([opts.model], strategies, opts.out, { threads, title: `mechcert main job: ${opts.model}` });
      const rows = [...result.rows].sort((a, b) => b.boundValue - a.boundValue);
      const table = [
        ['strategy', 'group', 'checked', 'bound', 'normalized', 'checker ops', 'cert bytes', 'prove s', 'check s'],
        ...rows.map((r) => [
          r.strategy, r.group, r.verified ? 'yes' : 'NO', r.bound.decimal, r.normalizedBound.toFixed(4),
          r.checkerOps ?? '-', String(r.certificateBytes), r.proverSeconds.toFixed(2), r.checkerSeconds.toFixed(2),
        ]),
      ];
      const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
      for (const row of table) process.stdout.write(`${row.map((cell, c) => cell.padEnd(widths[c])).join('  ')}\n`);
      const failed = rows.filter((r) => !r.verified);
      process.stdout.write(`\n${rows.length - failed.length} of ${rows.length} certificates verified by the exact checker; report in ${opts.out}/report.md (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
      if (failed.length > 0) {
        for (const r of failed) process.stderr.write(`mechcert: ${r.strategy}: ${r.error ?? 'not verified'}\n`);
        process.exitCode = 1;
      }
    });
}
