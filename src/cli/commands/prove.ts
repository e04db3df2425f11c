/**
 * `mechcert prove <model> --strategy <name> --out <file> [--backend cpu|webgpu|auto] [--threads N] [--frac-bits F]`: runs one
 * proof strategy and writes its certificate (canonical JSON, atomically; gzip when --out ends in .gz). Progress goes
 * to stderr (a bar on a terminal, plain lines otherwise); the claimed bound and the timings go to stdout. The claim
 * is the prover's: only `mechcert check` / `mechcert-check` make it a verified bound. Ctrl-C says what was being done
 * and that nothing was written.
 */
import { checkOutputPath } from '../../util/atomic.js';
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Float32Semantics } from 'mechcert-checker';
import type { Progress } from '../../prove/strategy.js';
import { BACKEND_FLAG_HELP, openBackendFlag, parseBackendFlag } from '../backend.js';
import { UsageError } from '../errors.js';
import { exitInterrupted, onInterrupt } from '../interrupt.js';

interface RawOptions {
  strategy?: string;
  out?: string;
  backend: string;
  threads?: string;
  fracBits?: string;
  semantics: string;
  ulps?: string;
}

function parseInteger(flag: string, raw: string, min: number, max: number): number {
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  return n;
}

/** A fraction as a percentage rounded down, so that 100% means done: one decimal below 10%, whole numbers above. */
function percent(fraction: number): string {
  return fraction < 0.1 ? `${(Math.floor(1000 * fraction) / 10).toFixed(1)}%` : `${Math.floor(100 * fraction)}%`;
}

/**
 * Progress on stderr. On a terminal, a bar redrawn in place (≤ 10 Hz). Otherwise plain lines: one as a phase starts,
 * one every 10 s, and one when it reaches 100%, with the phase's time. A percentage shows once the phase has moved
 * past 0: a phase that reports no fraction, such as building the exp tables, shows its name alone.
 */
function progressReporter(): { progress: Progress; phase(): string; done(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let phase = '';
  let phaseStart = 0;
  let drawn = false;
  return {
    progress(e) {
      const now = performance.now();
      const newPhase = e.phase !== phase;
      const finished = e.fraction === 1;
      if (newPhase) {
        phase = e.phase;
        phaseStart = now;
      } else if (!finished && now - last < (tty ? 100 : 10_000)) return;
      last = now;
      const text = `${e.phase}${e.fraction ? ` ${percent(e.fraction)}` : ''}${e.message ? `  ${e.message}` : ''}`;
      if (tty) {
        const width = 24;
        const filled = Math.round(width * (e.fraction ?? 0));
        process.stderr.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`);
        drawn = true;
      } else {
        process.stderr.write(`prove: ${text}${finished && !newPhase ? ` in ${((now - phaseStart) / 1000).toFixed(2)} s` : ''}\n`);
      }
    },
    phase: () => phase,
    done() {
      if (drawn) process.stderr.write('\r\x1b[K');
    },
  };
}

function formatFigure(v: number | string): string {
  if (typeof v === 'string') return v;
  return Number.isInteger(v) ? String(v) : v.toPrecision(3);
}

export function register(program: Command): void {
  program
    .command('prove')
    .description('Prove an accuracy lower bound for a model with one strategy and write the certificate.')
    .argument('<model>', 'model file (.safetensors)')
    .option('--strategy <name>', 'proof strategy (see `mechcert strategies`)')
    .option('--out <file>', 'certificate path (.json, or .json.gz for gzip)')
    .option('--backend <name>', `${BACKEND_FLAG_HELP}; strategies without a kernel on it run on the cpu`, 'cpu')
    .option('--threads <n>', 'worker threads (default: every core)')
    .option('--frac-bits <n>', 'fraction bits of the exp tables (default: chosen per strategy and model)')
    .option('--semantics <name>', 'what the claim is about: exact (the real computation on the float32 weights) or float32 (the model as deployed, in any summation order)', 'exact')
    .option('--ulps <exp,div,sqrt>', 'with --semantics float32: the ulp bounds of exp, division and sqrt the claim assumes (default: 2,1,0.5)')
    .action(async (modelPath: string, raw: RawOptions) => {
      if (raw.strategy === undefined) throw new UsageError('--strategy is required (see `mechcert strategies`)');
      const [{ getStrategy, listStrategies }, { StrategyLimitError }] = await Promise.all([import('../../prove/registry.js'), import('../../prove/strategy.js')]);
      const strategy = await getStrategy(raw.strategy);
      if (!strategy) {
        const names = (await listStrategies()).map((s) => s.name);
        throw new UsageError(`unknown strategy ${JSON.stringify(raw.strategy)} (known: ${names.join(', ')})`);
      }
      if (raw.out === undefined || raw.out === '') throw new UsageError('--out is required');
      checkOutputPath(raw.out);
      const backendChoice = await parseBackendFlag(raw.backend);
      const threads = raw.threads === undefined ? availableParallelism() : parseInteger('--threads', raw.threads, 1, 256);
      const fracBits = raw.fracBits === undefined ? undefined : parseInteger('--frac-bits', raw.fracBits, 1, 256);
      const semantics = parseSemantics(raw.semantics, raw.ulps);

      const t0 = performance.now();
      const [{ writeCertificate }, { loadModelFile }] = await Promise.all([import('../../prove/certificate.js'), import('../../prove/load.js')]);
      const { model } = loadModelFile(modelPath);
      const usesKernels = (strategy.backendKernels ?? []).length > 0;
      if (backendChoice !== 'cpu' && !usesKernels) process.stderr.write(`prove: ${strategy.name} has no backend kernel; it runs on the cpu\n`);
      const backend = backendChoice === 'cpu' || !usesKernels ? undefined : await openBackendFlag(backendChoice, 'prove');
      const reporter = progressReporter();
      // The certificate is written last, atomically: until then Ctrl-C leaves nothing behind.
      const untrap = onInterrupt(() => exitInterrupted('prove', [`interrupted${reporter.phase() ? ` during ${reporter.phase()}` : ''}; nothing was written to ${raw.out}`]));
      let result;
      try {
        const f32 = semantics ? await import('../../prove/float32.js') : null;
        const float32 = f32 && semantics ? f32.float32Target(model, semantics) : undefined;
        result = await strategy.prove(model, { backend, threads, fracBits, float32 }, reporter.progress);
        if (f32 && float32) {
          result = { ...result, certificate: f32.withSemantics(result.certificate, float32.semantics) };
          result.notes = [...(result.notes ?? []), `float32 claim: counted only where the exact logit gaps beat the rounding margin ε ≤ ${float32.margin.toPrecision(4)}`];
        }
      } catch (e) {
        throw e instanceof StrategyLimitError ? new UsageError(e.message) : e;
      } finally {
        reporter.done();
        await untrap();
        await backend?.dispose();
      }
      const tProve = performance.now();
      const bytes = writeCertificate(raw.out, result.certificate);
      const tEnd = performance.now();

      const { correct, total } = result.certificate.claim;
      process.stdout.write(`claim: correct ≥ ${correct} of ${total} sequences (${decimalFloor(BigInt(correct), BigInt(total))}), strategy ${strategy.name}, unverified until checked\n`);
      for (const note of result.notes ?? []) process.stdout.write(`${note}\n`);
      process.stdout.write(`wrote ${raw.out} (${bytes.length} bytes)\n`);
      const figures = Object.entries(result.figures).map(([k, v]) => `${k} ${formatFigure(v)}`).join(', ');
      process.stdout.write(`prove ${((tProve - t0) / 1000).toFixed(2)} s, write ${((tEnd - tProve) / 1000).toFixed(2)} s${figures ? `  (${figures})` : ''}\n`);
    });
}

/** The --semantics and --ulps flags: null for exact, else the float32 semantics of the claim (SPEC §1.1). */
function parseSemantics(name: string, ulps: string | undefined): Float32Semantics | null {
  if (name !== 'exact' && name !== 'float32') throw new UsageError(`--semantics must be exact or float32 (got ${JSON.stringify(name)})`);
  if (name === 'exact') {
    if (ulps !== undefined) throw new UsageError('--ulps needs --semantics float32');
    return null;
  }
  const parts = (ulps ?? '2,1,0.5').split(',');
  if (parts.length !== 3 || !parts.every((p) => /^(0|[1-9][0-9]{0,5})(\.[0-9]{1,6})?$/.test(p.trim()))) {
    throw new UsageError(`--ulps must be three non-negative decimals exp,div,sqrt such as 2,1,0.5 (got ${JSON.stringify(ulps)})`);
  }
  const [expUlps, divUlps, sqrtUlps] = parts.map((p) => p.trim());
  return { kind: 'float32', expUlps, divUlps, sqrtUlps };
}

/** p/q rounded down to 10 decimal places, as the checker prints a bound (exact: no float). */
function decimalFloor(p: bigint, q: bigint): string {
  const scaled = (p * 10n ** 10n) / q;
  return `${scaled / 10n ** 10n}.${(scaled % 10n ** 10n).toString().padStart(10, '0')}`;
}
