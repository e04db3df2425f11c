/**
 * `mechcert report <models…> [--strategies …] --out DIR`: proves, checks and measures every (model, strategy),
 * reusing results cached by model SHA-256 + strategy, and writes tables (Markdown, CSV, JSON) and plots (SVG, PNG)
 * beside the paper's published figures (src/report/report.ts).
 */
import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { addLazyDefaultOption, defaultCacheDir } from '../lazy.js';

export function parseList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return items.length ? items : undefined;
}

export function parseCount(flag: string, raw: string, min: number): number {
  const n = /^\s*\+?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be an integer ≥ ${min} (got ${JSON.stringify(raw)})`);
  return n;
}

interface RawOptions {
  strategies?: string;
  out?: string;
  cache: string;
  threads: string;
  png: boolean;
  modelPlots: string;
}

export function register(program: Command): void {
  const command = program
    .command('report')
    .description("Prove, check and measure every (model, strategy) and write tables and plots beside the paper's figures.")
    .argument('<models...>', 'model files (.safetensors)')
    .option('--strategies <list>', 'comma-separated strategy names; `*` matches any text (e.g. "cubic,subcubic/*"); default: every registered strategy')
    .option('--out <dir>', 'output folder (report.md, rows.csv, groups.csv, report.json, *.svg, *.png)');
  addLazyDefaultOption(command, new Option('--cache <dir>', 'cache of results by model SHA-256 and strategy (reruns resume)'), defaultCacheDir)
    .option('--threads <n>', 'threads each proof and check may use', '1')
    .option('--no-png', 'write SVG only (no PNG renderings)')
    .option('--model-plots <n>', 'per-model EQKE pictures for at most this many models', '8')
    .action(async (models: string[], raw: RawOptions) => {
      if (!raw.out) throw new UsageError('--out is required');
      for (const m of models) if (!existsSync(m)) throw new UsageError(`model file not found: ${m}`);
      const [{ writeReport }, { fmtMeanStd }] = await Promise.all([import('../../report/report.js'), import('../../report/tables.js')]);
      const result = await writeReport(models, parseList(raw.strategies), raw.out, {
        cacheDir: raw.cache,
        threads: parseCount('--threads', raw.threads, 1),
        png: raw.png,
        maxModelPlots: parseCount('--model-plots', raw.modelPlots, 0),
      });
      for (const g of result.groups) {
        const paper = g.paper?.normalized ? `  (paper ${fmtMeanStd(g.paper.normalized, 3)})` : '';
        process.stdout.write(`K=${g.k} V=${g.vocab}  ${g.group.padEnd(40)} normalized ${fmtMeanStd(g.normalizedBound)} over ${g.models} model(s)${paper}\n`);
      }
      const failed = result.rows.filter((r) => !r.verified).length;
      process.stdout.write(`wrote ${join(raw.out, 'report.md')} and ${result.files.length - 1} more files; ${result.rows.length - failed}/${result.rows.length} proofs verified\n`);
    });
}
