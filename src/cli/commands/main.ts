/**
 * `mechcert main` (what `npm start` runs): the whole job on the shipped default model. Evaluate it in float, prove it
 * with every registered strategy, check every certificate with the exact checker, write the report (tables, plots,
 * the certificates) to reports/main/, and print a summary that fits 100 columns (src/report/terminal.ts).
 */
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { printable } from 'mechcert-checker/verdict';
import { UsageError } from '../errors.js';
import { resolveStrategiesFlag } from '../strategy-names.js';
import { parseList } from './report.js';

export const DEFAULT_MODEL = 'models/max4-v64-s123.safetensors';

export function register(program: Command): void {
  program
    .command('main')
    .description('the main job: prove the default model with every strategy, check every certificate, write the report, print a summary')
    .option('--model <path>', 'model file', DEFAULT_MODEL)
    .option('--strategies <list>', 'comma-separated strategy names or patterns (default: every strategy)')
    .option('--out <dir>', 'report folder', 'reports/main')
    .action(async (opts: { model: string; strategies?: string; out: string }) => {
      if (!existsSync(opts.model)) throw new UsageError(`model file not found: ${opts.model}`);
      const strategies = await resolveStrategiesFlag(parseList(opts.strategies));
      const t0 = performance.now();
      const [{ readModel }, { evaluateExhaustive }, { writeReport }, { reportSummary }] = await Promise.all([
        import('../../model/model.js'), import('../../eval/exhaustive.js'), import('../../report/report.js'), import('../../report/terminal.js'),
      ]);
      const model = readModel(opts.model);
      const { k, vocab } = model.config;
      process.stderr.write(`mechcert: ${printable(opts.model)}, K=${k}, V=${vocab}\nmechcert: model sha256 ${model.sha256}\n`);
      const threads = availableParallelism();
      const acc = await evaluateExhaustive(model, { threads });
      process.stdout.write(`float evaluation: ${acc.correct} / ${acc.total} correct (accuracy ${acc.accuracy.toFixed(6)}, not a proof)\n\n`);
      const result = await writeReport([opts.model], strategies, opts.out, { threads, title: `mechcert main job: ${opts.model}` });
      // The lines quote the --out folder and the proofs' errors: untrusted text, like the path above.
      for (const line of reportSummary(result, opts.out)) process.stdout.write(`${printable(line)}\n`);
      process.stdout.write(`Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.\n`);
      const failed = result.rows.filter((r) => !r.verified);
      if (failed.length > 0) {
        process.stderr.write(`mechcert: ${failed.length} of ${result.rows.length} certificates not verified (listed above and in report.md)\n`);
        process.exitCode = 1;
      }
    });
}
