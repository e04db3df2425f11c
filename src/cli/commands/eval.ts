/**
 * `mechcert eval <model>`: the model's float accuracy on Max-of-K, by one of three methods (--method):
 * - exhaustive: every one of the V^K sequences, on every core (src/eval/exhaustive.ts); the default up to 2^31;
 * - stratified: the stratified estimate (src/eval/stratified.ts), classes by max, query, number of non-max tokens and
 *   largest non-max token, with a normal interval; the default beyond 2^31;
 * - uniform: uniform random sequences with a Wilson interval (src/eval/sampled.ts); --samples alone implies it.
 * An estimate is labelled as one, with its interval, wherever it is printed. Asking for an exhaustive count beyond the
 * limit is refused in one line. Progress goes to stderr: a bar on a terminal, otherwise a plain line at most every
 * 10 s; results go to stdout.
 */
import type { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { printable } from 'mechcert-checker/verdict';
import type { Model } from '../../model/model.js';
import { MAX_EXHAUSTIVE_SEQUENCES } from '../../eval/exhaustive.js';
import type { Backend } from '../../backend/registry.js';
import { BACKEND_FLAG_HELP, openBackendFlag, parseBackendFlag } from '../backend.js';
import { UsageError } from '../errors.js';
import { exitInterrupted, onInterrupt } from '../interrupt.js';
import { printableStrings } from '../printable.js';

/** Uniform samples drawn when --method uniform is asked for without --samples. */
const DEFAULT_SAMPLES = 2 ** 20;

interface RawOptions {
  json?: boolean;
  method?: string;
  backend: string;
  threads?: string;
  samples?: string;
  perStratum?: string;
  confidence: string;
  seed: string;
}

function parseInteger(flag: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\s*\+?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  return n;
}

function parseSeed(raw: string): bigint {
  const seed = /^\s*\d+\s*$/.test(raw) ? BigInt(raw.trim()) : -1n;
  if (seed < 0n || seed >= 1n << 64n) throw new UsageError(`--seed must be an integer from 0 to 2^64 - 1 (got ${JSON.stringify(raw)})`);
  return seed;
}

async function loadModel(path: string): Promise<Model> {
  const { ModelFormatError, readModel } = await import('../../model/model.js');
  try {
    return readModel(path);
  } catch (e) {
    // Name the file: the parser's messages describe the defect but not which file has it (an InputFileError names it).
    if (e instanceof ModelFormatError) throw new ModelFormatError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Progress on stderr: a bar redrawn in place (at most 10 times a second) on a terminal, else a line every 10 s. */
function progressReporter(unit: string): { update(done: number, total: number): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  const start = performance.now();
  let last = start;
  let drawn = false;
  return {
    update(done, total) {
      const now = performance.now();
      if (now - last < (tty ? 100 : 10_000)) return;
      last = now;
      const fraction = done / total;
      const rate = done / ((now - start) / 1000);
      const text = `${(100 * fraction).toFixed(1)}%  ${done}/${total} ${unit}  ${formatRate(rate)} ${unit}/s`;
      if (tty) {
        const width = 30;
        const filled = Math.round(width * fraction);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}  `);
        drawn = true;
      } else {
        process.stderr.write(`eval: ${text}\n`);
      }
    },
    done() {
      // Erase the bar so that the results start on a clean line.
      if (drawn) process.stderr.write('\r\x1b[K');
    },
  };
}

function formatRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

const METHODS = ['exhaustive', 'stratified', 'uniform'] as const;
type Method = (typeof METHODS)[number];

/** Refuses --method values and combinations of flags that name no method, before the model is read. */
function checkMethodFlags(raw: RawOptions): void {
  const asked = raw.method;
  if (asked !== undefined && !(METHODS as readonly string[]).includes(asked)) throw new UsageError(`--method must be one of ${METHODS.join(', ')} (got ${JSON.stringify(asked)})`);
  if (raw.samples !== undefined && raw.perStratum !== undefined) throw new UsageError('--samples (uniform) and --per-stratum (stratified) name different methods: give one');
  if (raw.samples !== undefined && asked !== undefined && asked !== 'uniform') throw new UsageError(`--samples sets the uniform sample; with --method ${asked} it has no meaning`);
  if (raw.perStratum !== undefined && asked !== undefined && asked !== 'stratified') throw new UsageError(`--per-stratum sets the stratified sample; with --method ${asked} it has no meaning`);
}

/** The method to run, from the flags and whether the space is too large to enumerate (`tooLarge`: why, or null). */
function chooseMethod(raw: RawOptions, tooLarge: string | null): Method {
  const asked = raw.method;
  if (asked === 'exhaustive' && tooLarge !== null) throw new UsageError(`${tooLarge}: use --method stratified (the default here) or --method uniform for an estimate`);
  if (asked !== undefined) return asked as Method;
  if (raw.samples !== undefined) return 'uniform';
  return raw.perStratum !== undefined || tooLarge !== null ? 'stratified' : 'exhaustive';
}

function parseConfidence(raw: string): number {
  const c = /^\s*0?\.\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!(c > 0 && c < 1)) throw new UsageError(`--confidence must be a number strictly between 0 and 1, such as 0.95 (got ${JSON.stringify(raw)})`);
  return c;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description(`Float accuracy of a model over all V^K sequences (up to 2^${Math.log2(MAX_EXHAUSTIVE_SEQUENCES)}), or an estimate labelled as such, with a confidence interval.`)
    .argument('<model>', 'model file (.safetensors)')
    .option('--json', 'print one JSON object instead of text')
    .option('--method <name>', `exhaustive (every sequence), stratified (classes by max, query, non-max count and largest non-max token) or uniform (random sequences); default: exhaustive up to 2^${Math.log2(MAX_EXHAUSTIVE_SEQUENCES)} sequences, stratified beyond`)
    .option('--backend <name>', `${BACKEND_FLAG_HELP}; exhaustive only`, 'cpu')
    .option('--threads <n>', 'worker threads (default: every core for large jobs, 1 for small ones)')
    .option('--samples <n>', `uniform random sequences to draw (default ${DEFAULT_SAMPLES}); implies --method uniform`)
    .option('--per-stratum <n>', 'stratified: samples per class, classes no larger are enumerated (default 30 for K ≤ 5, 10 for K ≤ 10, else 5)')
    .option('--confidence <p>', 'confidence of the estimate\'s interval', '0.95')
    .option('--seed <n>', 'seed of the estimate', '0')
    .action(async (path: string, raw: RawOptions) => {
      const backendChoice = await parseBackendFlag(raw.backend);
      checkMethodFlags(raw);
      const flags: Flags = {
        json: raw.json === true,
        threads: raw.threads === undefined ? undefined : parseInteger('--threads', raw.threads, 1, 1024),
        samples: raw.samples === undefined ? DEFAULT_SAMPLES : parseInteger('--samples', raw.samples, 1),
        perStratum: raw.perStratum === undefined ? undefined : parseInteger('--per-stratum', raw.perStratum, 2),
        confidence: parseConfidence(raw.confidence),
        seed: parseSeed(raw.seed),
      };
      const model = await loadModel(path);
      const { tooLargeForExhaustive } = await import('../../eval/exhaustive.js');
      const { k, vocab } = model.config;
      const tooLarge = tooLargeForExhaustive(k, vocab);
      const method = chooseMethod(raw, tooLarge);
      const reason = raw.method !== undefined || method === 'exhaustive' ? `--method ${method}` : raw.samples !== undefined ? '--samples given' : (tooLarge ?? '--per-stratum given');
      // eval writes no file: Ctrl-C only says so, instead of ending silently.
      onInterrupt(() => exitInterrupted('eval', [`interrupted: no ${method} result (eval writes no file)`]));
      if (method === 'exhaustive') await runExhaustive(path, model, backendChoice, flags);
      else if (method === 'stratified') await runStratified(path, model, flags, reason);
      else await runUniform(path, model, flags, reason);
    });
}

interface Flags {
  json: boolean;
  threads: number | undefined;
  samples: number;
  perStratum: number | undefined;
  confidence: number;
  seed: bigint;
}

/** Runs `evaluate` with a progress line on stderr (progressReporter); its result and its wall time in seconds. */
async function withProgress<T>(unit: string, evaluate: (onProgress: (done: number, total: number) => void) => Promise<T>): Promise<{ r: T; seconds: number }> {
  const progress = progressReporter(unit);
  const t0 = performance.now();
  const r = await evaluate(progress.update);
  progress.done();
  return { r, seconds: (performance.now() - t0) / 1000 };
}

/** The lines (or JSON fields) every method prints first. */
function describeModel(path: string, model: Model): { fields: Record<string, unknown>; text: string } {
  const { k, vocab, dModel, dHead } = model.config;
  const sequences = BigInt(vocab) ** BigInt(k);
  return {
    fields: { model: path, modelSha256: model.sha256, task: 'max-of-k', k, vocab, dModel, dHead, sequences: sequences.toString() },
    text: `model     ${printable(path)}\nsha256    ${model.sha256}\ntask      max-of-k  K=${k} V=${vocab} d_model=${dModel} d_head=${dHead}\n`,
  };
}

/** The result as one JSON object on stdout, its strings (the model's file name) made printable (../printable.ts). */
function writeJson(out: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(out, printableStrings)}\n`);
}

function threadsText(threads: number): string {
  return `${threads} thread${threads === 1 ? '' : 's'}, cpu`;
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

async function runExhaustive(path: string, model: Model, backendChoice: Awaited<ReturnType<typeof parseBackendFlag>>, flags: Flags): Promise<void> {
  const { defaultThreads, evaluateExhaustive } = await import('../../eval/exhaustive.js');
  let gpu: Backend | undefined;
  if (backendChoice !== 'cpu') {
    const opened = await openBackendFlag(backendChoice, 'eval');
    if (opened.name === 'cpu') await opened.dispose();
    else gpu = opened;
  }
  const { k, vocab } = model.config;
  const total = vocab ** k;
  const threads = gpu ? 1 : (flags.threads ?? defaultThreads(total));
  const { r, seconds } = await withProgress('sequences', (onProgress) => (gpu ? evaluateOnBackend(gpu, model, onProgress) : evaluateExhaustive(model, { threads, onProgress })));
  const rate = total / seconds;
  const head = describeModel(path, model);
  if (flags.json) {
    const out = { ...head.fields, backend: gpu ? gpu.name : 'cpu', method: 'exhaustive', exhaustive: true, correct: String(r.correct), total: String(r.total), accuracy: r.accuracy, threads, seconds, sequencesPerSecond: rate };
    writeJson(out);
    return;
  }
  process.stdout.write(
    head.text +
    `method    exhaustive: all ${vocab}^${k} = ${total} sequences\n` +
    `correct   ${r.correct} / ${r.total}\n` +
    `accuracy  ${r.accuracy} (${(100 * r.accuracy).toFixed(4)}%)\n` +
    `time      ${seconds.toFixed(2)} s, ${formatRate(rate)} sequences/s, ${gpu ? gpu.description : threadsText(threads)}\n`,
  );
}

async function runStratified(path: string, model: Model, flags: Flags, reason: string): Promise<void> {
  const { evaluateStratified } = await import('../../eval/stratified.js');
  const { r, seconds } = await withProgress('evaluations', (onProgress) =>
    evaluateStratified(model, { seed: flags.seed, perStratum: flags.perStratum, confidence: flags.confidence, threads: flags.threads, onProgress }));
  const { threads } = r;
  const head = describeModel(path, model);
  if (flags.json) {
    const out = {
      ...head.fields, backend: 'cpu', method: 'stratified', exhaustive: false, reason,
      estimate: r.estimate, interval: r.interval, standardError: r.standardError, samples: r.evaluations, perStratum: r.perStratum,
      sampledStrata: r.sampledStrata, exactStrata: r.exactStrata, exactSequences: r.exactSequences, exactCorrect: r.exactCorrect,
      seed: r.seed.toString(), threads, seconds,
    };
    writeJson(out);
    return;
  }
  const { lower, upper, confidence } = r.interval;
  process.stdout.write(
    head.text +
    `method    STRATIFIED ESTIMATE, not exhaustive (${reason}): classes by max, query, number of non-max tokens and largest non-max token; ${r.perStratum} uniform samples per class, classes of at most ${r.perStratum} sequences enumerated; seed ${r.seed}\n` +
    `samples   ${r.evaluations} model evaluations: ${r.sampledStrata} classes sampled, ${r.exactStrata} enumerated (${r.exactCorrect} of their ${r.exactSequences} sequences correct)\n` +
    `accuracy  ≈ ${r.estimate} (${percent(confidence)} normal interval [${lower}, ${upper}], standard error ${r.standardError.toPrecision(3)}); an estimate, not a count or a proof\n` +
    `time      ${seconds.toFixed(2)} s, ${formatRate(r.evaluations / seconds)} evaluations/s, ${threadsText(threads)}\n`,
  );
}

async function runUniform(path: string, model: Model, flags: Flags, reason: string): Promise<void> {
  const { defaultSampledThreads, evaluateSampled } = await import('../../eval/sampled.js');
  const { samples, seed, confidence } = flags;
  const threads = flags.threads ?? defaultSampledThreads(samples);
  const { r, seconds } = await withProgress('samples', (onProgress) => evaluateSampled(model, { samples, seed, confidence, threads, onProgress }));
  const head = describeModel(path, model);
  if (flags.json) {
    const out = {
      ...head.fields, backend: 'cpu', method: 'uniform', exhaustive: false, reason,
      estimate: r.accuracy, interval: r.interval, samples: r.samples, correct: String(r.correct), seed: r.seed.toString(), threads, seconds,
    };
    writeJson(out);
    return;
  }
  const { k, vocab } = model.config;
  process.stdout.write(
    head.text +
    `method    SAMPLED ESTIMATE, not exhaustive (${reason}): ${r.samples} uniform random sequences of ${vocab}^${k} = ${BigInt(vocab) ** BigInt(k)}, seed ${r.seed}\n` +
    `correct   ${r.correct} / ${r.samples} samples\n` +
    `accuracy  ≈ ${r.accuracy} (${percent(confidence)} Wilson interval [${r.interval.lower}, ${r.interval.upper}]); an estimate, not a count or a proof\n` +
    `time      ${seconds.toFixed(2)} s, ${formatRate(r.samples / seconds)} samples/s, ${threadsText(threads)}\n`,
  );
}

/** Exhaustive evaluation on a GPU backend, in ranges of 2^26 sequences for progress; disposes the backend. */
async function evaluateOnBackend(backend: Backend, model: Model, onProgress: (done: number, total: number) => void): Promise<{ correct: number; total: number; accuracy: number }> {
  try {
    const { pathTables } = await import('../../model/paths.js');
    const tables = pathTables(model);
    const total = tables.vocab ** tables.k;
    let correct = 0;
    for (let start = 0; start < total; start += 2 ** 26) {
      const end = Math.min(total, start + 2 ** 26);
      correct += (await backend.run('countCorrectExhaustive', { tables, range: { start, end } })).correct;
      onProgress(end, total);
    }
    return { correct, total, accuracy: correct / total };
  } finally {
    await backend.dispose();
  }
}
