/**
 * The paper's training recipe (docs/paper.md §3.1), deterministic from one integer seed:
 * 1 layer, 1 head, attention only, no LayerNorm, zero frozen biases (or, with `biases`, biases trained from zero, as
 * TransformerLens initialises them); every weight matrix drawn from normal(0, 0.8/sqrt(d_model)); AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01); batch 128 of fresh
 * iid uniform sequences per step for 3000 steps; loss on the last position only.
 *
 * Randomness comes from two independent streams of src/train/rng.ts:
 * - init: Rng(seed) draws W_E, W_pos, W_Q, W_K, W_V, W_O, W_U in that order, each row-major, one normal per entry;
 * - data: Rng(dataSeed(seed)), dataSeed(seed) = deriveSeed(deriveSeed(seed, "dataset_seed"), "train") (the shape of
 *   the reference's reseed(reseed(seed, "dataset_seed"), "train"), not its values), draws each step's batch sequence
 *   by sequence, position by position, each token uniformInt(V).
 * Parameters are float64 while training and rounded to float32 (nearest) once, at the end.
 */
import { performance } from 'node:perf_hooks';
import { AdamW, ADAMW_DEFAULTS } from './adamw.js';
import { MaxOfKNet, PARAM_NAMES, paramLayout, paramViews, type Dims } from './forward-backward.js';
import { deriveSeed, Rng } from './rng.js';
import type { Backend } from '../backend/registry.js';
import type { Model } from '../model/model.js';

export interface TrainOptions {
  k: number;
  vocab: number;
  seed: number;
  dModel?: number;
  dHead?: number;
  steps?: number;
  batch?: number;
  lr?: number;
  /** Train b_Q, b_K, b_V, b_O and b_U too (from zero); the paper's recipe freezes them at zero. */
  biases?: boolean;
}

/** The paper's settings for everything but K, V and the seed. */
export const TRAIN_DEFAULTS = { dModel: 32, dHead: 32, steps: 3000, batch: 128, lr: ADAMW_DEFAULTS.lr };

export interface TrainProgress {
  /** Steps done so far (1..steps). */
  step: number;
  steps: number;
  /** Mean loss of this step's batch (before the update). */
  loss: number;
  /** Fraction of this step's batch whose first argmax logit is the max. */
  accuracy: number;
}

export interface TrainResult {
  /** The trained float32 model; its metadata records the seed, the recipe and the final loss. */
  model: Omit<Model, 'sha256'>;
  /** Mean loss of the last step's batch. */
  finalLoss: number;
}

export const DATA_SEED_DERIVATION =
  'deriveSeed(deriveSeed(seed, "dataset_seed"), "train"), deriveSeed(s, label) = first 8 bytes (big-endian) of SHA-256(`${s}:${label}`)';

export function initStd(dModel: number): number {
  return 0.8 / Math.sqrt(dModel);
}

export function dataSeed(seed: number): bigint {
  return deriveSeed(deriveSeed(BigInt(seed), 'dataset_seed'), 'train');
}

/** One step's gradient request: write d(mean loss)/d(params) into `grad` and answer with the batch's loss and count. */
interface GradientRequest {
  dims: Dims;
  params: Float64Array;
  tokens: Int32Array;
  batch: number;
  grad: Float64Array;
}

interface StepOutcome {
  loss: number;
  correct: number;
}

/**
 * The recipe as one loop that leaves the gradient to its driver: it yields each step's request, is resumed with that
 * step's loss and correct count once the gradient is in `grad`, and returns the trained model. `train` drives it
 * synchronously on the CPU, `trainOnBackend` with a backend's kernel. `gradient`, when given, is recorded in the
 * metadata's `training` JSON (absent for the CPU, whose files stay byte-identical to earlier ones).
 */
function* trainingRun(options: TrainOptions, onProgress: ((p: TrainProgress) => void) | undefined, gradient?: string): Generator<GradientRequest, TrainResult, StepOutcome> {
  const o = {
    k: options.k,
    vocab: options.vocab,
    seed: options.seed,
    dModel: options.dModel ?? TRAIN_DEFAULTS.dModel,
    dHead: options.dHead ?? TRAIN_DEFAULTS.dHead,
    steps: options.steps ?? TRAIN_DEFAULTS.steps,
    batch: options.batch ?? TRAIN_DEFAULTS.batch,
    lr: options.lr ?? TRAIN_DEFAULTS.lr,
  };
  for (const [name, value, min] of [['k', o.k, 1], ['vocab', o.vocab, 2], ['seed', o.seed, 0], ['dModel', o.dModel, 1], ['dHead', o.dHead, 1], ['steps', o.steps, 1], ['batch', o.batch, 1]] as const) {
    if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`train: ${name} = ${value} is not an integer ≥ ${min}`);
  }
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) throw new RangeError(`train: lr = ${o.lr} is not a positive number`);
  const biases = options.biases === true;
  const dims: Dims = { k: o.k, vocab: o.vocab, dModel: o.dModel, dHead: o.dHead, ...(biases ? { biases } : {}) };
  const layout = paramLayout(dims);
  const params = new Float64Array(layout.total);
  const grad = new Float64Array(layout.total);

  const std = initStd(o.dModel);
  const initRng = new Rng(BigInt(o.seed));
  // The weights come first in the layout; the biases after them start at zero and draw nothing.
  const weightCount = biases ? layout.offsets.bQ : layout.total;
  for (let i = 0; i < weightCount; i++) params[i] = std * initRng.normal();

  const adamOpts = { ...ADAMW_DEFAULTS, lr: o.lr };
  const optimizer = new AdamW(params.length, adamOpts);
  const seedForData = dataSeed(o.seed);
  const dataRng = new Rng(seedForData);
  const tokens = new Int32Array(o.batch * o.k);
  let finalLoss = NaN;
  for (let step = 1; step <= o.steps; step++) {
    for (let i = 0; i < tokens.length; i++) tokens[i] = dataRng.uniformInt(o.vocab);
    const { loss, correct } = yield { dims, params, tokens, batch: o.batch, grad };
    optimizer.step(params, grad);
    finalLoss = loss;
    onProgress?.({ step, steps: o.steps, loss, accuracy: correct / o.batch });
  }

  const training = {
    trainer: 'mechcert',
    optimizer: 'AdamW',
    lr: adamOpts.lr,
    betas: [adamOpts.beta1, adamOpts.beta2],
    eps: adamOpts.eps,
    weight_decay: adamOpts.weightDecay,
    batch: o.batch,
    steps: o.steps,
    init: 'normal',
    init_std: std,
    init_order: [...PARAM_NAMES],
    rng: 'xoshiro128** seeded by SplitMix64',
    init_seed: String(o.seed),
    data_seed: String(seedForData),
    data_seed_derivation: DATA_SEED_DERIVATION,
    data: 'fresh iid uniform tokens per step',
    loss: 'mean -log_softmax(logits[last])[max(t)], log1p form',
    precision: 'float64 training, float32 (round to nearest) weights',
    ...(biases ? { biases: 'b_Q, b_K, b_V, b_O, b_U trained, initialised to zero' } : {}),
    ...(gradient === undefined ? {} : { gradient }),
  };
  const w = paramViews(params, layout);
  const model: Omit<Model, 'sha256'> = {
    config: { k: o.k, vocab: o.vocab, dModel: o.dModel, dHead: o.dHead },
    WE: Float32Array.from(w.WE),
    Wpos: Float32Array.from(w.Wpos),
    WQ: Float32Array.from(w.WQ),
    WK: Float32Array.from(w.WK),
    WV: Float32Array.from(w.WV),
    WO: Float32Array.from(w.WO),
    WU: Float32Array.from(w.WU),
    ...(biases ? { biases: { bQ: Float32Array.from(w.bQ), bK: Float32Array.from(w.bK), bV: Float32Array.from(w.bV), bO: Float32Array.from(w.bO), bU: Float32Array.from(w.bU) } } : {}),
    metadata: { seed: String(o.seed), training: JSON.stringify(training), final_loss: String(finalLoss) },
  };
  return { model, finalLoss };
}

/** The CPU's gradient for each step's request: MaxOfKNet.lossAndGrad in float64, on this thread. */
function cpuGradient(): (r: GradientRequest) => StepOutcome {
  let net: MaxOfKNet | undefined;
  return (r) => {
    net ??= new MaxOfKNet(r.dims, r.batch);
    return net.lossAndGrad(r.params, r.tokens, r.grad);
  };
}

/** Trains on this thread in float64 (MaxOfKNet.lossAndGrad); deterministic from the options. */
export function train(options: TrainOptions, onProgress?: (p: TrainProgress) => void): TrainResult {
  const run = trainingRun(options, onProgress);
  const gradient = cpuGradient();
  let next = run.next();
  while (!next.done) next = run.next(gradient(next.value));
  return next.value;
}

/** trainOnBackend lets the event loop turn at least this often, so that a Ctrl-C handler can run while the CPU trains. */
const YIELD_MS = 50;

/**
 * Trains with each step's loss and gradient from `backend`'s trainStepGradient kernel; the AdamW update stays on the
 * host in float64. On the cpu backend this computes what `train` does (the same bytes). On another backend the
 * gradient is float32, so the model differs from the CPU's; the metadata's `training.gradient` names the backend and
 * its device. The caller owns (and disposes) the backend. Once `signal` is aborted, training stops before its next step
 * and the promise rejects with the signal's reason.
 */
export async function trainOnBackend(options: TrainOptions, backend: Backend, onProgress?: (p: TrainProgress) => void, signal?: AbortSignal): Promise<TrainResult> {
  const onDevice = async ({ dims, params, tokens, batch, grad }: GradientRequest): Promise<StepOutcome> => {
    const out = await backend.run('trainStepGradient', { dims, params, tokens, batch });
    grad.set(out.grad);
    return { loss: out.loss, correct: out.correct };
  };
  const cpu = backend.name === 'cpu';
  const gradient = cpu ? cpuGradient() : onDevice;
  const run = trainingRun(options, onProgress, cpu ? undefined : `float32 trainStepGradient kernel on ${backend.description}`);
  let next = run.next();
  let turned = performance.now();
  while (!next.done) {
    signal?.throwIfAborted();
    next = run.next(await gradient(next.value));
    if (performance.now() - turned >= YIELD_MS) {
      await new Promise((resume) => setImmediate(resume));
      turned = performance.now();
    }
  }
  return next.value;
}
