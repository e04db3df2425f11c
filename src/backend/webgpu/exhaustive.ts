/// <reference types="@webgpu/types" />
/**
 * WebGPU exhaustive evaluation. The range is cut into chunks of at most 2^24 sequences, one dispatch each (one
 * invocation per sequence, 256 per workgroup); chunks are submitted in batches of up to 64 with one readback per batch.
 * Each workgroup adds its correct counts to its chunk's counters with one atomic. Sequences whose float32 margin is
 * within the tolerance band (tolerance.ts) go to a near-tie list that the host re-decides in float64 (cpu/reference.ts);
 * if the list overflows, the batch is split, and a single overflowing chunk is evaluated on the CPU outright.
 */
import type { PathTables } from '../../model/paths.js';
import { countCorrectRange, decideSequence, sequenceScratch } from '../cpu/reference.js';
import { MAX_MARGIN_SEQUENCES, resolveRange, type CountCorrectExhaustiveInput, type CountCorrectExhaustiveOutput, type SequenceMarginsInput, type SequenceMarginsOutput, type SequenceRange } from '../kernels.js';
import { BackendLimitError } from '../registry.js';
import { MAX_K, PARAMS_BYTES, PARAMS_STRIDE, WORKGROUP_SIZE } from './shaders.js';
import { checkAlive, encodePass, MAP_READ, pipeline, readBack, scoped, scratchBuffer, tableBuffers, Usage, type WebGPUContext } from './device.js';
import { float32MarginTolerance } from './tolerance.js';

export const CHUNK_SEQUENCES = 1 << 24;
export const BATCH_CHUNKS = 64;
/** Near-tie entries (chunk slot, index) the device can hold per batch. */
export const TIE_CAPACITY = 1 << 20;
/** Counter block: [0] near-tie count, then 4 words per chunk slot: sure-correct, raw-correct. */
const COUNTER_WORDS = 4 + 4 * BATCH_CHUNKS;

interface Chunk {
  start: number;
  count: number;
}

function chunksOf(r: SequenceRange, size: number): Chunk[] {
  const out: Chunk[] = [];
  for (let s = r.start; s < r.end; s += size) out.push({ start: s, count: Math.min(size, r.end - s) });
  return out;
}

function writeParams(view: DataView, at: number, T: PathTables, chunk: Chunk, slot: number, tolerance: number): void {
  let rest = chunk.start;
  for (let p = T.k - 1; p >= 0; p--) {
    view.setUint32(at + 4 * p, rest % T.vocab, true);
    rest = Math.floor(rest / T.vocab);
  }
  view.setUint32(at + 32, chunk.count, true);
  view.setUint32(at + 36, slot, true);
  view.setFloat32(at + 40, T.scale, true);
  view.setFloat32(at + 44, tolerance, true);
}

function checkShape(T: PathTables): void {
  if (T.k > MAX_K) throw new BackendLimitError(`the WebGPU backend supports K ≤ ${MAX_K}, not ${T.k}`);
}

interface BatchResult {
  correct: number;
  rawCorrect: number;
  rechecked: number;
}

async function runBatch(ctx: WebGPUContext, T: PathTables, chunks: Chunk[], tolerance: number): Promise<BatchResult> {
  const { device } = ctx;
  const pipe = await pipeline(ctx, T.k, T.vocab, 'count');
  const tables = tableBuffers(ctx, T);
  const params = scratchBuffer(ctx, 'count params', BATCH_CHUNKS * PARAMS_STRIDE, Usage.UNIFORM | Usage.COPY_DST);
  const counters = scratchBuffer(ctx, 'count counters', COUNTER_WORDS * 4, Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST);
  const ties = scratchBuffer(ctx, 'count ties', TIE_CAPACITY * 8, Usage.STORAGE | Usage.COPY_SRC);

  const paramBytes = new ArrayBuffer(chunks.length * PARAMS_STRIDE);
  const view = new DataView(paramBytes);
  chunks.forEach((c, slot) => writeParams(view, slot * PARAMS_STRIDE, T, c, slot, tolerance));

  await scoped(device, 'count dispatch', () => {
    device.queue.writeBuffer(params, 0, paramBytes);
    const encoder = device.createCommandEncoder();
    encoder.clearBuffer(counters);
    chunks.forEach((c, slot) => {
      const entries = [
        { binding: 0, resource: { buffer: tables.tab } },
        { binding: 4, resource: { buffer: tables.rows } },
        { binding: 1, resource: { buffer: params, offset: slot * PARAMS_STRIDE, size: PARAMS_BYTES } },
        { binding: 2, resource: { buffer: counters } },
        { binding: 3, resource: { buffer: ties } },
      ];
      encodePass(device, encoder, pipe, entries, Math.ceil(c.count / WORKGROUP_SIZE));
    });
    device.queue.submit([encoder.finish()]);
  });
  const words = new Uint32Array(await readBack(ctx, counters, COUNTER_WORDS * 4));
  const tieCount = words[0];
  let sure = 0;
  let rawCorrect = 0;
  for (let slot = 0; slot < chunks.length; slot++) {
    sure += words[4 + 4 * slot];
    rawCorrect += words[5 + 4 * slot];
  }

  if (tieCount > TIE_CAPACITY) {
    // Too many near-ties to list: split the batch, or decide a lone chunk wholly in float64.
    if (chunks.length > 1) {
      const half = chunks.length >> 1;
      const a = await runBatch(ctx, T, chunks.slice(0, half), tolerance);
      const b = await runBatch(ctx, T, chunks.slice(half), tolerance);
      return { correct: a.correct + b.correct, rawCorrect: a.rawCorrect + b.rawCorrect, rechecked: a.rechecked + b.rechecked };
    }
    const c = chunks[0];
    return { correct: countCorrectRange(T, { start: c.start, end: c.start + c.count }), rawCorrect, rechecked: c.count };
  }

  let fromTies = 0;
  if (tieCount > 0) {
    const list = new Uint32Array(await readBack(ctx, ties, tieCount * 8));
    const s = sequenceScratch(T);
    for (let e = 0; e < tieCount; e++) {
      if (decideSequence(T, chunks[list[2 * e]].start + list[2 * e + 1], s)) fromTies++;
    }
  }
  return { correct: sure + fromTies, rawCorrect, rechecked: tieCount };
}

export async function countCorrectExhaustiveWebGPU(ctx: WebGPUContext, input: CountCorrectExhaustiveInput): Promise<CountCorrectExhaustiveOutput> {
  checkAlive(ctx);
  const T = input.tables;
  checkShape(T);
  const r = resolveRange(T, input.range);
  const tolerance = float32MarginTolerance(T);
  const chunks = chunksOf(r, CHUNK_SEQUENCES);
  let correct = 0;
  let rawCorrect = 0;
  let rechecked = 0;
  for (let i = 0; i < chunks.length; i += BATCH_CHUNKS) {
    const b = await runBatch(ctx, T, chunks.slice(i, i + BATCH_CHUNKS), tolerance);
    correct += b.correct;
    rawCorrect += b.rawCorrect;
    rechecked += b.rechecked;
  }
  return { correct, total: r.end - r.start, rawCorrect, rechecked, tolerance };
}

export async function sequenceMarginsWebGPU(ctx: WebGPUContext, input: SequenceMarginsInput): Promise<SequenceMarginsOutput> {
  checkAlive(ctx);
  const T = input.tables;
  checkShape(T);
  const r = resolveRange(T, input.range);
  const count = r.end - r.start;
  if (count > MAX_MARGIN_SEQUENCES) throw new RangeError(`sequenceMargins takes at most ${MAX_MARGIN_SEQUENCES} sequences`);
  if (count === 0) return { margins: new Float64Array(0) };
  const { device } = ctx;
  const pipe = await pipeline(ctx, T.k, T.vocab, 'margins');
  const tables = tableBuffers(ctx, T);
  const params = device.createBuffer({ size: PARAMS_STRIDE, usage: Usage.UNIFORM | Usage.COPY_DST, label: 'margins params' });
  const out = device.createBuffer({ size: count * 4, usage: Usage.STORAGE | Usage.COPY_SRC, label: 'margins' });
  const staging = device.createBuffer({ size: count * 4, usage: Usage.MAP_READ | Usage.COPY_DST, label: 'margins readback' });
  try {
    const bytes = new ArrayBuffer(PARAMS_STRIDE);
    writeParams(new DataView(bytes), 0, T, { start: r.start, count }, 0, 0);
    await scoped(device, 'margins dispatch', () => {
      device.queue.writeBuffer(params, 0, bytes);
      const encoder = device.createCommandEncoder();
      const entries = [
        { binding: 0, resource: { buffer: tables.tab } },
        { binding: 4, resource: { buffer: tables.rows } },
        { binding: 1, resource: { buffer: params, offset: 0, size: PARAMS_BYTES } },
        { binding: 2, resource: { buffer: out } },
      ];
      encodePass(device, encoder, pipe, entries, Math.ceil(count / WORKGROUP_SIZE));
      encoder.copyBufferToBuffer(out, 0, staging, 0, count * 4);
      device.queue.submit([encoder.finish()]);
    });
    await staging.mapAsync(MAP_READ);
    const margins = Float64Array.from(new Float32Array(staging.getMappedRange().slice(0)));
    staging.unmap();
    checkAlive(ctx);
    return { margins };
  } finally {
    params.destroy();
    out.destroy();
    staging.destroy();
  }
}
