/**
 * `mechcert train`: trains a Max-of-K model with the paper's recipe (src/train/train.ts), measures its exhaustive
 * float accuracy, and writes it as safetensors (atomically) with the recipe, seed, final loss and accuracy in its
 * metadata. `--backend webgpu` computes each step's gradient on the GPU in float32 (the AdamW update stays on the host),
 * which gives another model than the CPU's; its metadata names the backend. The accuracy is always measured on the CPU.
 * `--biases` trains b_Q, b_K, b_V, b_O and b_U too (on the cpu backend); otherwise they stay zero, as in the paper.
 */
import { Option, type Command } from 'commander';
import { performance } from 'node:perf_hooks';
import type { Backend } from '../../backend/registry.js';
import type { TrainOptions, TrainProgress, TrainResult } from '../../train/train.js';
import { checkOutputPath } from '../../util/atomic.js';
import { BACKEND_FLAG_HELP, openBackendFlag, parseBackendFlag } from '../backend.js';
import { UsageError } from '../errors.js';
import { exitInterrupted, onInterrupt } from '../interrupt.js';
import { addLazyDefaultOption } from '../lazy.js';

interface RawOptions {
  k?: string;
  vocab?: string;
  seed?: string;
  out?: string;
  dModel: string;
  dHead: string;
  steps: string;
  batch: string;
  lr: string;
  backend: string;
  biases?: boolean;
}

// Options with a default always arrive as strings from commander; only the required ones can be undefined.
function parseInteger(flag: string, raw: string | undefined, min: number): number {
  if (raw === undefined) throw new UsageError(`${flag} is required`);
  const n = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be an integer from ${min} to 2^53 - 1 (got ${JSON.stringify(raw)})`);
  return n;
}

function parsePositive(flag: string, raw: string): number {
  const x = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(x) || x <= 0) throw new UsageError(`${flag} must be a positive number (got ${JSON.stringify(raw)})`);
  return x;
}

/** Progress on stderr: a bar redrawn in place on a terminal, otherwise one plain line per tenth of the run. */
function progressReporter(steps: number): { update(p: TrainProgress): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  const start = performance.now();
  let lastDraw = 0;
  let lastTenth = 0;
  const describe = (p: TrainProgress, rate: number) =>
    `step ${p.step}/${steps}  loss ${p.loss.toFixed(4)}  batch acc ${p.accuracy.toFixed(3)}  ${rate.toFixed(0)} steps/s`;
  return {
    update(p) {
      const now = performance.now();
      const rate = p.step / Math.max((now - start) / 1000, 1e-9);
      if (tty) {
        if (now - lastDraw < 100 && p.step !== steps) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round((width * p.step) / steps);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${describe(p, rate)}  `);
      } else {
        const tenth = Math.floor((10 * p.step) / steps);
        if (tenth === lastTenth) return;
        lastTenth = tenth;
        process.stderr.write(`train: ${describe(p, rate)}\n`);
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/**
 * Trains with progress on stderr and disposes `backend`. Ctrl-C stops training before its next step and ends the
 * command (src/cli/interrupt.ts), saying that nothing was written to `out`.
 */
async function trainInterruptibly(options: TrainOptions & { steps: number }, backend: Backend, out: string): Promise<TrainResult['model']> {
  const { trainOnBackend } = await import('../../train/train.js');
  const progress = progressReporter(options.steps);
  let step = 0;
  const stop = new AbortController();
  const untrap = onInterrupt(() => stop.abort());
  const onProgress = (p: TrainProgress) => {
    step = p.step;
    progress.update(p);
  };
  let model: TrainResult['model'] | undefined;
  try {
    // Disposed however training ends: an open WebGPU device keeps the process alive.
    model = (await trainOnBackend(options, backend, onProgress, stop.signal).finally(() => backend.dispose())).model;
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  } finally {
    await untrap();
    progress.done();
  }
  if (model !== undefined && !stop.signal.aborted) return model;
  return exitInterrupted('train', [`interrupted at step ${step} of ${options.steps}; nothing was written to ${out} (the same command trains from the start again)`]);
}

/**
 * The training settings beside K, V and the seed, shared by `train` and `sweep` (defaults: the paper's recipe,
 * TRAIN_DEFAULTS, read from the trainer only for the command that runs).
 */
export function addTrainingOptions(command: Command): Command {
  const recipe = (key: 'dModel' | 'dHead' | 'steps' | 'batch' | 'lr') => async () => String((await import('../../train/train.js')).TRAIN_DEFAULTS[key]);
  addLazyDefaultOption(command, new Option('--d-model <n>', 'residual width'), recipe('dModel'));
  addLazyDefaultOption(command, new Option('--d-head <n>', 'attention head width'), recipe('dHead'));
  addLazyDefaultOption(command, new Option('--steps <n>', 'optimizer steps'), recipe('steps'));
  addLazyDefaultOption(command, new Option('--batch <n>', 'sequences per step'), recipe('batch'));
  return addLazyDefaultOption(command, new Option('--lr <x>', 'AdamW learning rate'), recipe('lr'));
}

export function register(program: Command): void {
  const command = program
    .command('train')
    .description("Train a Max-of-K model with the paper's recipe, deterministically from --seed, and write it as safetensors.")
    .option('--k <n>', 'sequence length K')
    .option('--vocab <n>', 'vocabulary size V (≥ 2)')
    .option('--seed <n>', 'integer seed (0 ≤ seed < 2^53); fixes both the initialisation and the data')
    .option('--out <file>', 'output .safetensors path')
    .option('--backend <name>', `${BACKEND_FLAG_HELP}: where each step's gradient is computed; cpu in float64 (the reference), webgpu in float32 (another model)`, 'cpu')
    .option('--biases', "train the biases b_Q, b_K, b_V, b_O, b_U too, from zero (the paper's recipe keeps them at zero); cpu backend only");
  addTrainingOptions(command)
    .action(async (raw: RawOptions) => {
      const k = parseInteger('--k', raw.k, 1);
      const vocab = parseInteger('--vocab', raw.vocab, 2);
      const seed = parseInteger('--seed', raw.seed, 0);
      const dModel = parseInteger('--d-model', raw.dModel, 1);
      const dHead = parseInteger('--d-head', raw.dHead, 1);
      const steps = parseInteger('--steps', raw.steps, 1);
      const batch = parseInteger('--batch', raw.batch, 1);
      const lr = parsePositive('--lr', raw.lr);
      if (raw.out === undefined || raw.out === '') throw new UsageError('--out is required');
      const out = raw.out;
      checkOutputPath(out);
      const choice = await parseBackendFlag(raw.backend);
      const biases = raw.biases === true;
      if (biases && choice !== 'cpu') throw new UsageError(`--biases trains on the cpu backend only (got --backend ${choice})`);
      const [{ evaluateExhaustive, MAX_EXHAUSTIVE_SEQUENCES }, { parseModel, serializeModel, writeModel }] = await Promise.all([
        import('../../eval/exhaustive.js'), import('../../model/model.js'),
      ]);

      const log = (line: string) => process.stderr.write(`train: ${line}\n`);
      const backend = await openBackendFlag(choice, 'train');
      if (backend.name !== 'cpu') log(`gradients on ${backend.description}`);
      const t0 = performance.now();
      const model = await trainInterruptibly({ k, vocab, seed, dModel, dHead, steps, batch, lr, biases }, backend, out);
      const trainSeconds = (performance.now() - t0) / 1000;
      log(`${steps} steps in ${trainSeconds.toFixed(1)} s (${(steps / trainSeconds).toFixed(0)} steps/s)`);

      // The model file is written last, atomically: until then Ctrl-C leaves nothing behind.
      const untrap = onInterrupt(() => exitInterrupted('train', [`interrupted after training, while measuring the accuracy; nothing was written to ${out}`]));
      // V^K as an exact integer: 64^10 is past 2^53, where a float would print 1152921504606847000.
      const sequences = BigInt(vocab) ** BigInt(k);
      // Accuracy is recorded only where every sequence can be evaluated (the same limit as `mechcert eval`'s).
      if (sequences <= BigInt(MAX_EXHAUSTIVE_SEQUENCES)) {
        process.stderr.write(`train: measuring accuracy over all ${sequences} sequences\n`);
        const e0 = performance.now();
        // Measured on the float32 weights exactly as they will be stored.
        const { correct, total, accuracy } = await evaluateExhaustive(parseModel(serializeModel(model)));
        process.stderr.write(`train: accuracy measured in ${((performance.now() - e0) / 1000).toFixed(1)} s\n`);
        model.metadata.accuracy = String(accuracy);
        model.metadata.accuracy_sequences = `${correct}/${total}`;
      } else {
        process.stderr.write(`train: V^K = ${sequences} sequences is over ${MAX_EXHAUSTIVE_SEQUENCES}; no accuracy recorded\n`);
      }
      await untrap();
      const sha = writeModel(out, model);
      const acc = model.metadata.accuracy === undefined ? '' : `  accuracy ${model.metadata.accuracy} (${model.metadata.accuracy_sequences})`;
      process.stdout.write(`wrote ${out}  sha256 ${sha}  final loss ${model.metadata.final_loss}${acc}\n`);
    });
}
