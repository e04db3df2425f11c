/// <reference types="@webgpu/types" />
/**
 * WebGPU `bruteForceScan`: the brute-force prover's float pass in float32, one invocation per sequence
 * (src/prove/brute-force-kernel.ts): g = max_{x≠m} Σ_p ŵ_p·c_p(x) / Σ_p ŵ_p against ±tol/Z. Slot weights travel as
 * logarithms split into two float32s (hi + lo), since trained models' mid weights reach e^−350, below float32's
 * range, and one float32 logarithm of that size carries an absolute error near 2e−5. Each sequence's weights are
 * taken relative to its largest (g does not change when every weight is scaled by one factor), so the largest is 1
 * and Z ≥ 1; a weight far below the largest underflows only where it is negligible. Counters are summed per workgroup
 * and added with one atomic each; sequences near the thresholds go to a bounded list that the prover re-decides in
 * float64. If the list overflows, the query range is split, and a single overflowing query is scanned on the CPU.
 * The results are hints: the checker recomputes every sequence exactly.
 */
import { emptyTally, queryTables, scanQuery, sortNear, type KernelInput, type KernelTally } from '../../prove/brute-force-kernel.js';
import { checkMRange, type BruteForceScanInput, type BruteForceScanOutput } from '../kernels.js';
import { BackendLimitError } from '../registry.js';
import { checkAlive, clampF32, compilePipeline, encodePass, LOG_ZERO, readBack, scoped, scratchBuffer, uploadStorage, Usage, type WebGPUContext } from './device.js';
import { MAX_K } from './shaders.js';

const WORKGROUP = 64;
/** Invocations per dispatch: 65,536 workgroups of 64, laid out as 32,768 × 2 (WebGPU's per-dimension limit is 65,535). */
const DISPATCH_SEQUENCES = 1 << 22;
/** Uniform slot per dispatch (minUniformBufferOffsetAlignment). */
const PARAMS_STRIDE = 256;
const PARAMS_BYTES = 32;
/** Near-threshold entries (index, g) the device holds per call. */
export const NEAR_CAPACITY = 1 << 20;
/** Largest V^K: sequence indices are u32 and counts too. */
const MAX_SEQUENCES = 2 ** 31;

export function bruteForceShader(K: number, V: number): string {
  return /* wgsl */ `
const K: u32 = ${K}u;
const V: u32 = ${V}u;
const NEG: f32 = -3.0e38;
const EVOU0: u32 = ${V * V}u;
const PVOU0: u32 = ${2 * V * V}u;

struct Params { qStart: u32, nq: u32, first: u32, count: u32, tau: f32, cmax: f32, band: f32, pad: u32 }

// EU [V,V] | EVOU [V,V] | PVOU [K,V]
@group(0) @binding(0) var<storage, read> tab: array<f32>;
// per slot ((q·K + p)·V + t): log mid weight (hi, lo) and width / mid
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
// [0] near entries, [1] certain, [2] float-correct
@group(0) @binding(3) var<storage, read_write> counters: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> nearList: array<u32>;

var<workgroup> wgCertain: atomic<u32>;
var<workgroup> wgFloat: atomic<u32>;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let local = (wid.y * nwg.x + wid.x) * ${WORKGROUP}u + lid;
  var certain = 0u;
  var floatCorrect = 0u;
  if (local < params.count) {
    // Invocation e covers query qStart + e % nq after the non-query prefix e / nq (base V, last position fastest).
    let e = params.first + local;
    let q = params.qStart + e % params.nq;
    let prefix = e / params.nq;
    var t: array<u32, K>;
    t[K - 1u] = q;
    var rest = prefix;
    for (var p = i32(K) - 2; p >= 0; p--) {
      t[p] = rest % V;
      rest = rest / V;
    }
    var m = 0u;
    for (var p = 0u; p < K; p++) { m = max(m, t[p]); }
    var top = 0u;
    for (var p = 1u; p < K; p++) {
      if (wt[3u * ((q * K + p) * V + t[p])] > wt[3u * ((q * K + top) * V + t[top])]) { top = p; }
    }
    let bt = 3u * ((q * K + top) * V + t[top]);
    var w: array<f32, K>;
    var z = 0.0;
    var width = 0.0;
    for (var p = 0u; p < K; p++) {
      let b = 3u * ((q * K + p) * V + t[p]);
      w[p] = exp((wt[b] - wt[bt]) + (wt[b + 1u] - wt[bt + 1u]));
      z += w[p];
      width += w[p] * wt[b + 2u];
    }
    var worst = NEG;
    for (var x = 0u; x < V; x++) {
      if (x == m) { continue; }
      var s = 0.0;
      for (var p = 0u; p < K; p++) {
        s += w[p] * ((tab[EVOU0 + t[p] * V + x] - tab[EVOU0 + t[p] * V + m]) + (tab[PVOU0 + p * V + x] - tab[PVOU0 + p * V + m]));
      }
      worst = max(worst, (tab[q * V + x] - tab[q * V + m]) * z + s);
    }
    let g = worst / z;
    let reach = params.tau + params.cmax * width / z + params.band;
    floatCorrect = select(0u, 1u, g < 0.0);
    if (g < -reach) {
      certain = 1u;
    } else if (!(g > reach)) {
      // Entries past the list's capacity are counted, not stored: the host then splits the range.
      let at = atomicAdd(&counters[0], 1u);
      if (2u * at + 1u < arrayLength(&nearList)) {
        nearList[2u * at] = prefix * V + q;
        nearList[2u * at + 1u] = bitcast<u32>(g);
      }
    }
  }
  if (lid == 0u) {
    atomicStore(&wgCertain, 0u);
    atomicStore(&wgFloat, 0u);
  }
  workgroupBarrier();
  if (certain != 0u) { atomicAdd(&wgCertain, 1u); }
  if (floatCorrect != 0u) { atomicAdd(&wgFloat, 1u); }
  workgroupBarrier();
  if (lid == 0u) {
    atomicAdd(&counters[1], atomicLoad(&wgCertain));
    atomicAdd(&counters[2], atomicLoad(&wgFloat));
  }
}
`;
}

interface ScanBuffers {
  tab: GPUBuffer;
  wt: GPUBuffer;
}

/** Uploads the tables once per KernelInput object (the prover calls the kernel once per chunk of queries). */
const uploaded = new WeakMap<KernelInput, { ctx: WebGPUContext; buffers: ScanBuffers }>();

function buffersFor(ctx: WebGPUContext, inp: KernelInput): ScanBuffers {
  const have = uploaded.get(inp);
  if (have && have.ctx === ctx) return have.buffers;
  const { K, V } = inp;
  const tab = new Float32Array(2 * V * V + K * V);
  tab.set(inp.EU, 0);
  tab.set(inp.EVOU, V * V);
  tab.set(inp.PVOU, 2 * V * V);
  const wt = new Float32Array(3 * V * K * V);
  for (let q = 0; q < V; q++) {
    // The mid weights and widths scanQuery uses, from the same function.
    const { wMid, wWid } = queryTables(inp, q);
    for (let j = 0; j < K * V; j++) {
      const log = wMid[j] > 0 ? Math.log(wMid[j]) : LOG_ZERO;
      const hi = Math.fround(log);
      const at = 3 * (q * K * V + j);
      wt[at] = hi;
      wt[at + 1] = log - hi;
      wt[at + 2] = wMid[j] > 0 ? wWid[j] / wMid[j] : 0;
    }
  }
  const buffers = { tab: uploadStorage(ctx, tab, 'brute-force tables'), wt: uploadStorage(ctx, wt, 'brute-force log weights') };
  uploaded.set(inp, { ctx, buffers });
  return buffers;
}

/** Scans queries [qStart, qEnd) in one submission; on list overflow, halves the range or scans one query on the CPU. */
async function scanRange(ctx: WebGPUContext, inp: KernelInput, qStart: number, qEnd: number, band: number, out: KernelTally): Promise<void> {
  const { device } = ctx;
  const { K, V } = inp;
  const nq = qEnd - qStart;
  const total = nq * V ** (K - 1);
  const pipe = await compilePipeline(ctx, `brute-force:${K}:${V}`, bruteForceShader(K, V));
  const buffers = buffersFor(ctx, inp);
  const dispatches = Math.ceil(total / DISPATCH_SEQUENCES);
  const params = scratchBuffer(ctx, 'brute-force params', dispatches * PARAMS_STRIDE, Usage.UNIFORM | Usage.COPY_DST);
  const counters = scratchBuffer(ctx, 'brute-force counters', 16, Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST);
  const list = scratchBuffer(ctx, 'brute-force near list', 8 * NEAR_CAPACITY, Usage.STORAGE | Usage.COPY_SRC);
  const bytes = new ArrayBuffer(dispatches * PARAMS_STRIDE);
  const view = new DataView(bytes);
  for (let d = 0; d < dispatches; d++) {
    const at = d * PARAMS_STRIDE;
    view.setUint32(at, qStart, true);
    view.setUint32(at + 4, nq, true);
    view.setUint32(at + 8, d * DISPATCH_SEQUENCES, true);
    view.setUint32(at + 12, Math.min(DISPATCH_SEQUENCES, total - d * DISPATCH_SEQUENCES), true);
    view.setFloat32(at + 16, clampF32(inp.tau), true);
    view.setFloat32(at + 20, clampF32(inp.cmax), true);
    view.setFloat32(at + 24, clampF32(band), true);
  }
  await scoped(device, 'brute-force dispatch', () => {
    device.queue.writeBuffer(params, 0, bytes);
    const encoder = device.createCommandEncoder();
    encoder.clearBuffer(counters);
    for (let d = 0; d < dispatches; d++) {
      const entries = [
        { binding: 0, resource: { buffer: buffers.tab } },
        { binding: 1, resource: { buffer: buffers.wt } },
        { binding: 2, resource: { buffer: params, offset: d * PARAMS_STRIDE, size: PARAMS_BYTES } },
        { binding: 3, resource: { buffer: counters } },
        { binding: 4, resource: { buffer: list, size: 8 * NEAR_CAPACITY } },
      ];
      encodePass(device, encoder, pipe, entries, Math.ceil(Math.min(DISPATCH_SEQUENCES, total - d * DISPATCH_SEQUENCES) / WORKGROUP));
    }
    device.queue.submit([encoder.finish()]);
  });
  const [nearCount, certain, floatCorrect] = new Uint32Array(await readBack(ctx, counters, 16));
  if (nearCount > NEAR_CAPACITY) {
    if (nq > 1) {
      const half = qStart + (nq >> 1);
      await scanRange(ctx, inp, qStart, half, band, out);
      await scanRange(ctx, inp, half, qEnd, band, out);
      return;
    }
    const tally = emptyTally();
    scanQuery(inp, qStart, tally, band);
    out.certain += tally.certain;
    out.floatCorrect += tally.floatCorrect;
    out.near.push(...tally.near);
    out.nearValue.push(...tally.nearValue);
    return;
  }
  out.certain += certain;
  out.floatCorrect += floatCorrect;
  if (nearCount > 0) {
    const words = new Uint32Array(await readBack(ctx, list, 8 * nearCount));
    const values = new Float32Array(words.buffer);
    for (let j = 0; j < nearCount; j++) {
      out.near.push(words[2 * j]);
      out.nearValue.push(values[2 * j + 1]);
    }
  }
}

export async function bruteForceScanWebGPU(ctx: WebGPUContext, { input, queries, band }: BruteForceScanInput): Promise<BruteForceScanOutput> {
  checkAlive(ctx);
  const { K, V } = input;
  if (K < 1 || K > MAX_K) throw new BackendLimitError(`the WebGPU brute-force kernel supports 1 ≤ K ≤ ${MAX_K}, not ${K}`);
  if (V ** K > MAX_SEQUENCES) throw new BackendLimitError(`the WebGPU brute-force kernel takes at most 2^31 sequences; V^K = ${V}^${K} is over`);
  checkMRange(V, queries);
  const out = emptyTally();
  await scanRange(ctx, input, queries.start, queries.end, band, out);
  const { certain, floatCorrect, near, nearValue } = sortNear(out);
  return { certain, floatCorrect, near: Uint32Array.from(near), nearValue: Float64Array.from(nearValue) };
}
