/**
 * `mechcert report <models…> [--strategies …] --out DIR`: proves, checks and measures every (model, strategy),
 * reusing results cached by model SHA-256 + strategy, and writes tables (Markdown, CSV, JSON) and plots (SVG, PNG)
 * beside the paper's published figures (src/report/report.ts). The output folder, the models and the strategy names
 * are checked before the first proof; Ctrl-C says what was saved (every finished proof, in the cache) and how to resume.
 */
import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { printable } from 'mechcert-checker/verdict';
import { checkOutputPath } from '../../util/atomic.js';
import { UsageError } from '../errors.js';
import { exitInterrupted, onInterrupt } from '../interrupt.js';
import { addLazyDefaultOption, defaultCacheDir } from '../lazy.js';
import { resolveStrategiesFlag } from '../strategy-names.js';

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

/** Reads every model before any proof, so that a missing or malformed file is refused before the long work. */
async function checkModels(paths: string[]): Promise<void> {
  const [{ loadModelFile }, { ModelFormatError }] = await Promise.all([import('../../prove/load.js'), import('../../model/model.js')]);
  for (const path of paths) {
    try {
      loadModelFile(path);
    } catch (e) {
      if (!(e instanceof ModelFormatError)) throw e;
      throw new UsageError(e.message.includes(path) ? e.message : `${path}: ${e.message}`);
    }
  }
}

export function register(program: Command): void {
  const command = program
    .command('report')
    .description("Prove, check and measure every (model, strategy) and write tables and plots beside the paper's figures.")
    .argument('<models...>', 'model files (.safetensors)')
    .option('--strategies <list>', 'comma-separated strategy names; `*` matches any text (e.g. "cubic,subcubic/*"); default: every registered strategy')
    .option('--out <dir>', 'output folder (report.md, rows.csv, groups.csv, report.json, *.svg, *.png, certificates/, models/)');
  addLazyDefaultOption(command, new Option('--cache <dir>', 'cache of results by model SHA-256 and strategy (reruns resume)'), defaultCacheDir)
    .option('--threads <n>', 'threads each proof and check may use', '1')
    .option('--no-png', 'write SVG only (no PNG renderings)')
    .option('--model-plots <n>', 'per-model EQKE pictures for at most this many models', '8')
    .action(async (models: string[], raw: RawOptions) => {
      if (!raw.out) throw new UsageError('--out is required');
      const out = raw.out;
      checkOutputPath(join(out, 'report.md'));
      const threads = parseCount('--threads', raw.threads, 1);
      const maxModelPlots = parseCount('--model-plots', raw.modelPlots, 0);
      await checkModels(models);
      const strategies = await resolveStrategiesFlag(parseList(raw.strategies));
      const [{ writeReport }, { reportSummary }] = await Promise.all([import('../../report/report.js'), import('../../report/terminal.js')]);
      // Each checked proof is cached as soon as it is done; report.md is written last (src/report/report.ts).
      const untrap = onInterrupt(() => exitInterrupted('report', [
        `interrupted; ${join(out, 'report.md')} was not written`,
        `the proofs checked so far are saved in ${raw.cache}: to resume, run the same command again, and it takes them from there`,
      ]));
      const result = await writeReport(models, strategies, out, { cacheDir: raw.cache, threads, png: raw.png, maxModelPlots });
      await untrap();
      // The lines quote the --out folder and the proofs' errors: untrusted text.
      for (const line of reportSummary(result, out)) process.stdout.write(`${printable(line)}\n`);
    });
}
