/**
 * The 1-layer, 1-head, attention-only transformer of the reference paper, as stored in safetensors with
 * TransformerLens key names. Weights are kept as float32 (their exact values); computations widen to float64.
 */
import { createHash } from 'node:crypto';
import { MAX_MODEL_BYTES } from 'mechcert-checker/limits';
import { readBounded } from 'mechcert-checker/read';
import { ModelFormatError, parseSafetensors, serializeSafetensors, type RawTensor, type SafetensorsFile } from './safetensors.js';
import { writeFileAtomic } from '../util/atomic.js';

export { ModelFormatError };

export interface ModelConfig {
  /** Sequence length K (= n_ctx). */
  k: number;
  /** Vocabulary size V (= d_vocab = d_vocab_out). */
  vocab: number;
  dModel: number;
  dHead: number;
}

export interface Model {
  config: ModelConfig;
  /** [V, d] token embedding. */
  WE: Float32Array;
  /** [K, d] position embedding. */
  Wpos: Float32Array;
  /** [d, d_head] (head 0 of TransformerLens's [n_heads, d, d_head]). */
  WQ: Float32Array;
  WK: Float32Array;
  WV: Float32Array;
  /** [d_head, d]. */
  WO: Float32Array;
  /** [d, V]. */
  WU: Float32Array;
  /** Absent when every bias is zero (the paper's recipe freezes them there). */
  biases?: Biases;
  metadata: Record<string, string>;
  /** SHA-256 (hex) of the model file: the model's identity in every certificate. */
  sha256: string;
}

/** TransformerLens's biases of the one head, the output projection and the unembedding (SPEC §1). */
export interface Biases {
  /** [d_head] each (head 0 of TransformerLens's [n_heads, d_head]). */
  bQ: Float32Array;
  bK: Float32Array;
  bV: Float32Array;
  /** [d]. */
  bO: Float32Array;
  /** [V]. */
  bU: Float32Array;
}

export const TENSOR_NAMES = {
  WE: 'embed.W_E',
  Wpos: 'pos_embed.W_pos',
  WQ: 'blocks.0.attn.W_Q',
  WK: 'blocks.0.attn.W_K',
  WV: 'blocks.0.attn.W_V',
  WO: 'blocks.0.attn.W_O',
  WU: 'unembed.W_U',
} as const;

/** Bias tensor names; an absent bias is zero. */
export const BIAS_NAMES = {
  bQ: 'blocks.0.attn.b_Q',
  bK: 'blocks.0.attn.b_K',
  bV: 'blocks.0.attn.b_V',
  bO: 'blocks.0.attn.b_O',
  bU: 'unembed.b_U',
} as const;

/** TransformerLens's attention buffers, stored beside the weights: read and checked by checkAttentionBuffers. */
const MASK = 'blocks.0.attn.mask';
const IGNORE = 'blocks.0.attn.IGNORE';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A model file's bytes, read as the checker reads them (mechcert-checker/read): a regular file only (a FIFO would block
 * and /dev/zero never ends) of at most MAX_MODEL_BYTES. Otherwise, or when it cannot be read, an InputFileError whose
 * message names the file.
 */
export function readModelBytes(path: string): Uint8Array {
  return readBounded(path, MAX_MODEL_BYTES, 'model');
}

export function readModel(path: string): Model {
  return parseModel(readModelBytes(path));
}

export function parseModel(bytes: Uint8Array): Model {
  const file = parseSafetensors(bytes);
  const get = (name: string): RawTensor => {
    const t = file.tensors.get(name);
    if (!t) throw new ModelFormatError(`missing tensor ${name}`);
    return t;
  };
  for (const name of file.byteTensors.keys()) {
    if (name !== MASK) throw new ModelFormatError(`tensor ${name}: dtype ${file.byteTensors.get(name)!.dtype} is not supported (only F32; BOOL or U8 for ${MASK})`);
  }
  for (const name of file.tensors.keys()) {
    if (name === MASK) throw new ModelFormatError(`tensor ${MASK}: dtype F32 is not supported (only BOOL or U8)`);
    if (name === IGNORE) continue;
    const known = (Object.values(TENSOR_NAMES) as string[]).includes(name) || (Object.values(BIAS_NAMES) as string[]).includes(name);
    if (!known) throw new ModelFormatError(`unsupported architecture: unexpected tensor ${name} (only 1-layer, attention-only, 1-head models without LayerNorm)`);
  }
  const WE = get(TENSOR_NAMES.WE);
  const Wpos = get(TENSOR_NAMES.Wpos);
  const WU = get(TENSOR_NAMES.WU);
  const WQ = get(TENSOR_NAMES.WQ);
  const WK = get(TENSOR_NAMES.WK);
  const WV = get(TENSOR_NAMES.WV);
  const WO = get(TENSOR_NAMES.WO);
  const expectRank = (name: string, t: RawTensor, rank: number) => {
    if (t.shape.length !== rank) throw new ModelFormatError(`tensor ${name}: shape [${t.shape.join(', ')}] should have ${rank} dimensions`);
  };
  expectRank(TENSOR_NAMES.WE, WE, 2);
  expectRank(TENSOR_NAMES.Wpos, Wpos, 2);
  expectRank(TENSOR_NAMES.WU, WU, 2);
  for (const [n, t] of [[TENSOR_NAMES.WQ, WQ], [TENSOR_NAMES.WK, WK], [TENSOR_NAMES.WV, WV], [TENSOR_NAMES.WO, WO]] as const) expectRank(n, t, 3);
  const [vocab, dModel] = WE.shape;
  const k = Wpos.shape[0];
  const nHeads = WQ.shape[0];
  const dHead = WQ.shape[2];
  if (nHeads !== 1) throw new ModelFormatError(`unsupported architecture: ${nHeads} attention heads (only 1 is supported)`);
  if (vocab < 2 || dModel < 1 || k < 1 || dHead < 1) throw new ModelFormatError(`degenerate shapes: V=${vocab}, d_model=${dModel}, K=${k}, d_head=${dHead}`);
  const expectShape = (name: string, t: RawTensor, shape: number[]) => {
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new ModelFormatError(`tensor ${name}: shape [${t.shape.join(', ')}] is inconsistent with V=${vocab}, K=${k}, d_model=${dModel}, d_head=${dHead}; expected [${shape.join(', ')}]`);
    }
  };
  expectShape(TENSOR_NAMES.Wpos, Wpos, [k, dModel]);
  expectShape(TENSOR_NAMES.WU, WU, [dModel, vocab]);
  expectShape(TENSOR_NAMES.WQ, WQ, [1, dModel, dHead]);
  expectShape(TENSOR_NAMES.WK, WK, [1, dModel, dHead]);
  expectShape(TENSOR_NAMES.WV, WV, [1, dModel, dHead]);
  expectShape(TENSOR_NAMES.WO, WO, [1, dHead, dModel]);
  checkAttentionBuffers(file, k);
  for (const [name, t] of file.tensors) {
    if (name === IGNORE) continue; // TransformerLens stores −inf there; its value is never used (checkAttentionBuffers)
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) throw new ModelFormatError(`tensor ${name}: entry ${i} is ${t.data[i]} (weights must be finite)`);
    }
  }
  const biases = readBiases(file, { vocab, dModel, dHead });
  const metaK = file.metadata.k;
  if (metaK !== undefined && metaK !== String(k)) throw new ModelFormatError(`__metadata__.k = ${metaK} disagrees with pos_embed.W_pos (K=${k})`);
  const task = file.metadata.task;
  if (task !== undefined && task !== 'max-of-k') throw new ModelFormatError(`unsupported task ${JSON.stringify(task)} (only max-of-k)`);
  return {
    config: { k, vocab, dModel, dHead },
    WE: WE.data, Wpos: Wpos.data, WQ: WQ.data, WK: WK.data, WV: WV.data, WO: WO.data, WU: WU.data,
    ...(biases ? { biases } : {}),
    metadata: file.metadata,
    sha256: sha256Hex(bytes),
  };
}

/** TransformerLens's bias shapes: b_Q, b_K, b_V [1, d_head] (one head), b_O [d_model], b_U [V]. */
function biasShapes(dims: { vocab: number; dModel: number; dHead: number }): Record<keyof Biases, number[]> {
  const { vocab, dModel, dHead } = dims;
  return { bQ: [1, dHead], bK: [1, dHead], bV: [1, dHead], bO: [dModel], bU: [vocab] };
}

/** The biases, each of its TransformerLens shape (an absent one is zero); undefined when every entry is zero. */
function readBiases(file: SafetensorsFile, dims: { vocab: number; dModel: number; dHead: number }): Biases | undefined {
  const shapes = biasShapes(dims);
  const biases = {} as Biases;
  let nonzero = false;
  for (const key of Object.keys(BIAS_NAMES) as (keyof Biases)[]) {
    const name = BIAS_NAMES[key];
    const shape = shapes[key];
    const t = file.tensors.get(name);
    if (t && (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i]))) {
      throw new ModelFormatError(`tensor ${name}: shape [${t.shape.join(', ')}] is inconsistent with V=${dims.vocab}, d_model=${dims.dModel}, d_head=${dims.dHead}; expected [${shape.join(', ')}]`);
    }
    biases[key] = t ? t.data : new Float32Array(shape[shape.length - 1]);
    nonzero ||= biases[key].some((x) => x !== 0);
  }
  return nonzero ? biases : undefined;
}

/**
 * TransformerLens's attention buffers (schemas/SPEC.md §1; the checker applies the same rule). The mask, if present, is
 * BOOL or U8 [K, K] of 0/1 bytes whose last row (query position K−1) is all 1: the claim is about the last position
 * only, and there such a mask hides nothing, so the model is the one every strategy computes. Any other mask changes
 * the model and is refused. IGNORE, if present, is an F32 scalar whose value is never used: it replaces the scores the
 * mask hides, and an accepted mask hides none in the last row.
 */
function checkAttentionBuffers(file: SafetensorsFile, k: number): void {
  const mask = file.byteTensors.get(MASK);
  if (mask) {
    if (mask.shape.length !== 2 || mask.shape[0] !== k || mask.shape[1] !== k) throw new ModelFormatError(`tensor ${MASK}: shape [${mask.shape.join(', ')}] is not [${k}, ${k}]`);
    if (mask.data.some((b) => b > 1)) throw new ModelFormatError(`tensor ${MASK}: holds a byte other than 0 or 1`);
    const hidden = [...mask.data.subarray((k - 1) * k).entries()].filter(([, b]) => b !== 1).map(([j]) => j);
    if (hidden.length > 0) throw new ModelFormatError(`tensor ${MASK} hides key position(s) ${hidden.join(', ')} from the last query: only a mask whose last row is all true (causal) is supported`);
  }
  const ignore = file.tensors.get(IGNORE);
  if (ignore && ignore.shape.length !== 0) throw new ModelFormatError(`tensor ${IGNORE}: shape [${ignore.shape.join(', ')}] is not a scalar []`);
}

/**
 * Serializes a model with TransformerLens names; the five bias tensors are written only when the model has biases (a
 * model without them is the same bytes as before biases were supported). Metadata always records task, K, V and d_head.
 */
export function serializeModel(model: Omit<Model, 'sha256'>): Uint8Array {
  const { k, vocab, dModel, dHead } = model.config;
  const tensors = new Map<string, RawTensor>([
    [TENSOR_NAMES.WE, { dtype: 'F32', shape: [vocab, dModel], data: model.WE }],
    [TENSOR_NAMES.Wpos, { dtype: 'F32', shape: [k, dModel], data: model.Wpos }],
    [TENSOR_NAMES.WQ, { dtype: 'F32', shape: [1, dModel, dHead], data: model.WQ }],
    [TENSOR_NAMES.WK, { dtype: 'F32', shape: [1, dModel, dHead], data: model.WK }],
    [TENSOR_NAMES.WV, { dtype: 'F32', shape: [1, dModel, dHead], data: model.WV }],
    [TENSOR_NAMES.WO, { dtype: 'F32', shape: [1, dHead, dModel], data: model.WO }],
    [TENSOR_NAMES.WU, { dtype: 'F32', shape: [dModel, vocab], data: model.WU }],
  ]);
  const { biases } = model;
  if (biases) {
    const shapes = biasShapes(model.config);
    for (const key of Object.keys(BIAS_NAMES) as (keyof Biases)[]) tensors.set(BIAS_NAMES[key], { dtype: 'F32', shape: shapes[key], data: biases[key] });
  }
  const metadata = { ...model.metadata, task: 'max-of-k', k: String(k), vocab: String(vocab), d_model: String(dModel), d_head: String(dHead), n_heads: '1' };
  return serializeSafetensors(tensors, metadata);
}

export function writeModel(path: string, model: Omit<Model, 'sha256'>): string {
  const bytes = serializeModel(model);
  writeFileAtomic(path, bytes);
  return sha256Hex(bytes);
}
