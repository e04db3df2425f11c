/**
 * `mechcert eval <model>`: the model's float accuracy on Max-of-K. Exhaustive over all V^K sequences when
 * V^K ≤ 2^28 and the work is bounded (src/eval/exhaustive.ts); otherwise, or with --samples, a sampled estimate with
 * a 95% Wilson interval that is labelled as such everywhere it is printed (src/eval/sampled.ts). Progress goes to
 * stderr: a bar on a terminal, otherwise a plain line at most every 10 s; results go to stdout.
 */
import type { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import type { Model } from '../../model/model.js';
import { MAX_EXHAUSTIVE_SEQUENCES } from '../../eval/exhaustive.js';
import type { Backend } from '../../backend/registry.js';
import { BACKEND_FLAG_HELP, openBackendFlag, parseBackendFlag } from '../backend.js';
import { UsageError } from '../errors.js';

/** Samples drawn when the space is too large to enumerate and --samples is not given. */
const DEFAULT_SAMPLES = 2 ** 20;

interface RawOptions {
  json?: boolean;
  backend: string;
  threads?: string;
  samples?: string;
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
    // Name the file: the reader's messages describe the defect but not which file has it.
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

export function register(program: Command): void {
  program
    .command('eval')
    .description(`Float accuracy of a model over all V^K sequences (a labelled sampled estimate with a 95% Wilson interval when V^K > 2^${Math.log2(MAX_EXHAUSTIVE_SEQUENCES)}, for small K with very large V, or with --samples).`)
    .argument('<model>', 'model file (.safetensors)')
    .option('--json', 'print one JSON object instead of text')
    .option('--backend <name>', BACKEND_FLAG_HELP, 'cpu')
    .option('--threads <n>', 'worker threads (default: every core for large jobs, 1 for small ones)')
    .option('--samples <n>', 'estimate from N uniform random sequences instead of enumerating them all')
    .option('--seed <n>', 'seed of the sampled estimate', '0')
    .action(async (path: string, raw: RawOptions) => {
      const backendChoice = await parseBackendFlag(raw.backend);
      const requestedThreads = raw.threads === undefined ? undefined : parseInteger('--threads', raw.threads, 1, 1024);
      const requestedSamples = raw.samples === undefined ? undefined : parseInteger('--samples', raw.samples, 1);
      const seed = parseSeed(raw.seed);
      const model = await loadModel(path);
      const [{ defaultThreads, evaluateExhaustive, tooLargeForExhaustive }, { defaultSampledThreads, evaluateSampled }] = await Promise.all([
        import('../../eval/exhaustive.js'), import('../../eval/sampled.js'),
      ]);
      const { k, vocab, dModel, dHead } = model.config;
      const sequences = BigInt(vocab) ** BigInt(k);
      const tooLarge = tooLargeForExhaustive(k, vocab);
      const exhaustive = requestedSamples === undefined && tooLarge === null;
      // A GPU backend runs only the exhaustive kernel; the sampled estimate always runs on the CPU.
      let gpu: Backend | undefined;
      if (exhaustive && backendChoice !== 'cpu') {
        const opened = await openBackendFlag(backendChoice, 'eval');
        if (opened.name === 'cpu') await opened.dispose();
        else gpu = opened;
      }
      const backend = gpu ? gpu.name : 'cpu';
      const common = { model: path, modelSha256: model.sha256, task: 'max-of-k', k, vocab, dModel, dHead, sequences: sequences.toString(), backend };

      const t0 = performance.now();
      if (exhaustive) {
        const total = Number(sequences);
        const threads = gpu ? 1 : (requestedThreads ?? defaultThreads(total));
        const progress = progressReporter('sequences');
        const r = gpu ? await evaluateOnBackend(gpu, model, progress.update) : await evaluateExhaustive(model, { threads, onProgress: progress.update });
        progress.done();
        const seconds = (performance.now() - t0) / 1000;
        const rate = total / seconds;
        if (raw.json) {
          const out = { ...common, exhaustive: true, correct: String(r.correct), total: String(r.total), accuracy: r.accuracy, threads, seconds, sequencesPerSecond: rate };
          process.stdout.write(`${JSON.stringify(out)}\n`);
          return;
        }
        process.stdout.write(
          `model     ${path}\n` +
          `sha256    ${model.sha256}\n` +
          `task      max-of-k  K=${k} V=${vocab} d_model=${dModel} d_head=${dHead}\n` +
          `method    exhaustive: all ${vocab}^${k} = ${sequences} sequences\n` +
          `correct   ${r.correct} / ${r.total}\n` +
          `accuracy  ${r.accuracy} (${(100 * r.accuracy).toFixed(4)}%)\n` +
          `time      ${seconds.toFixed(2)} s, ${formatRate(rate)} sequences/s, ${gpu ? gpu.description : `${threads} thread${threads === 1 ? '' : 's'}, cpu`}\n`,
        );
        return;
      }

      const samples = requestedSamples ?? DEFAULT_SAMPLES;
      const reason = requestedSamples === undefined && tooLarge !== null ? tooLarge : '--samples given';
      const threads = requestedThreads ?? defaultSampledThreads(samples);
      const progress = progressReporter('samples');
      const r = await evaluateSampled(model, { samples, seed, threads, onProgress: progress.update });
      progress.done();
      const seconds = (performance.now() - t0) / 1000;
      if (raw.json) {
        const out = {
          ...common, exhaustive: false, estimate: 'uniform random sample', reason,
          correct: String(r.correct), total: String(r.samples), accuracy: r.accuracy, ci95: r.ci95,
          samples: r.samples, seed: r.seed.toString(), threads, seconds,
        };
        process.stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      process.stdout.write(
        `model     ${path}\n` +
        `sha256    ${model.sha256}\n` +
        `task      max-of-k  K=${k} V=${vocab} d_model=${dModel} d_head=${dHead}\n` +
        `method    SAMPLED ESTIMATE, not exhaustive (${reason}): ${r.samples} uniform random sequences of ${vocab}^${k} = ${sequences}, seed ${r.seed}\n` +
        `correct   ${r.correct} / ${r.samples} samples\n` +
        `accuracy  ≈ ${r.accuracy} (95% Wilson interval [${r.ci95.lower}, ${r.ci95.upper}])\n` +
        `time      ${seconds.toFixed(2)} s, ${formatRate(r.samples / seconds)} samples/s, ${threads} thread${threads === 1 ? '' : 's'}, cpu\n`,
      );
    });
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
