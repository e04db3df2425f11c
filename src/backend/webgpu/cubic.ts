/// <reference types="@webgpu/types" />
/**
 * WebGPU `cubicCaseBounds`: the cubic proof's case table in float32, one invocation per entry (m, q, c, k), each
 * computing both bounds of src/prove/cubic-bounds.ts (decoupled and joint-x) in the same order of operations.
 * Weights travel as logarithms of the exp tables' enclosures (trained models hold weights near e^−100, products of two
 * near e^−350, which float32 cannot store), and each step of the pessimistic average keeps its sums relative to its
 * largest weight: an average does not change when every weight is scaled by one factor. Rescaling per case would not
 * do: where every lo is zero, a weight e^−177 below another still decides the first step's average on its own.
 * A zero lo enclosure travels as −1e30, whose exponential is 0. The results are hints: the prover rechecks in float64
 * every one that decides anything within its band (src/prove/cubic.ts hintClassifier).
 */
import type { PathTables } from '../../model/paths.js';
import type { CubicWeights } from '../../prove/cubic-bounds.js';
import { checkMRange, cubicTableEntries, type CubicCaseBoundsInput, type CubicCaseBoundsOutput } from '../kernels.js';
import { BackendLimitError } from '../registry.js';
import { checkAlive, clampF32, compilePipeline, encodePass, LOG_ZERO, readBack, scoped, scratchBuffer, uploadStorage, Usage, type WebGPUContext } from './device.js';
import { MAX_K } from './shaders.js';

const WORKGROUP = 64;
/** Entries per dispatch: 65,536 workgroups of 64, laid out as 32,768 × 2 (WebGPU's per-dimension limit is 65,535). */
const DISPATCH_ENTRIES = 1 << 22;

/** What both shaders share: `tab` = EU [V,V] | EVOU [V,V] | PVOU [K,V], and the m-centred position terms. */
function prelude(K: number, V: number): string {
  return /* wgsl */ `
const K: u32 = ${K}u;
const V: u32 = ${V}u;
const NEG: f32 = -3.0e38;
const EU0: u32 = 0u;
const EVOU0: u32 = ${V * V}u;
const PVOU0: u32 = ${2 * V * V}u;

@group(0) @binding(0) var<storage, read> tab: array<f32>;

fn evou(t: u32, x: u32) -> f32 { return tab[EVOU0 + t * V + x]; }
fn pvou(p: u32, x: u32) -> f32 { return tab[PVOU0 + p * V + x]; }

// max over non-query positions of PVOU_m[p, x]
fn pnon(x: u32, m: u32) -> f32 {
  var b = NEG;
  for (var p = 0u; p < K - 1u; p++) { b = max(b, pvou(p, x) - pvou(p, m)); }
  return b;
}
fn pquery(x: u32, m: u32) -> f32 { return pvou(K - 1u, x) - pvou(K - 1u, m); }
`;
}

/**
 * The centring pass, one invocation per (m, t ≤ m): U[q = t] = max_{x≠m} EU_m[t,x] and
 * W[t] = max_{x≠m} EVOU_m[t,x] + P*[x] into `centre` at 2((m − mStart)·V + t) and the entry after it.
 */
export function cubicCentreShader(K: number, V: number): string {
  return /* wgsl */ `${prelude(K, V)}
struct Params { mStart: u32, mCount: u32, pad0: u32, pad1: u32 }
@group(0) @binding(1) var<uniform> params: Params;
@group(0) @binding(2) var<storage, read_write> centre: array<f32>;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  if (e >= params.mCount * V) { return; }
  let t = e % V;
  let m = params.mStart + e / V;
  if (t > m) { return; }
  var u = NEG;
  var w = NEG;
  for (var x = 0u; x < V; x++) {
    if (x == m) { continue; }
    u = max(u, tab[EU0 + t * V + x] - tab[EU0 + t * V + m]);
    w = max(w, evou(t, x) - evou(t, m) + max(pnon(x, m), pquery(x, m)));
  }
  centre[2u * e] = u;
  centre[2u * e + 1u] = w;
}
`;
}

/** The case pass, one invocation per entry of the table; `logw` = log lo/hi of expE [V,V] then expP [V,K]. */
export function cubicShader(K: number, V: number): string {
  return /* wgsl */ `${prelude(K, V)}
const ELO: u32 = 0u;
const EHI: u32 = ${V * V}u;
const PLO: u32 = ${2 * V * V}u;
const PHI: u32 = ${2 * V * V + V * K}u;
// Log weights at or below this are zero enclosures (LOG_ZERO, plus a finite log).
const LOG_EMPTY: f32 = -1.0e29;

struct Params { mStart: u32, first: u32, count: u32, jointAbove: f32 }

@group(0) @binding(1) var<storage, read> logw: array<f32>;
@group(0) @binding(2) var<storage, read> ord: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read_write> outb: array<f32>;
@group(0) @binding(5) var<storage, read> centre: array<f32>;

var<private> cf: array<f32, ${K}>;
var<private> llo: array<f32, ${K}>;
var<private> lhi: array<f32, ${K}>;
var<private> tk: array<u32, ${K}>;

// Slot i < K-1 is position ord[q][i] (m on the first r = K-1-c on side 0, on the last r on side 1), slot K-1 the query.
fn fill(q: u32, m: u32, c: u32, k: u32, side: u32) {
  let r = K - 1u - c;
  for (var i = 0u; i < K - 1u; i++) {
    let p = ord[q * (K - 1u) + i];
    let isM = select(i >= K - 1u - r, i < r, side == 0u);
    let t = select(k, m, isM);
    tk[i] = t;
    llo[i] = logw[ELO + q * V + t] + logw[PLO + q * K + p];
    lhi[i] = logw[EHI + q * V + t] + logw[PHI + q * K + p];
  }
  tk[K - 1u] = q;
  llo[K - 1u] = logw[ELO + q * V + q] + logw[PLO + q * K + K - 1u];
  lhi[K - 1u] = logw[EHI + q * V + q] + logw[PHI + q * K + K - 1u];
}

// max over w in [lo, hi] of sum(w c) / sum(w): start from lo, raise weights to hi in order of decreasing c. The sums
// are kept relative to the largest log weight so far (shift): a weight far below it underflows only where it is
// negligible, while one alone in the denominator (every other weight zero) still counts in full, as in float64.
fn pavg() -> f32 {
  var o: array<u32, ${K}>;
  for (var i = 0u; i < K; i++) { o[i] = i; }
  for (var i = 1u; i < K; i++) {
    let v = o[i];
    var j = i;
    while (j > 0u && cf[o[j - 1u]] < cf[v]) {
      o[j] = o[j - 1u];
      j--;
    }
    o[j] = v;
  }
  var shift = LOG_EMPTY;
  for (var i = 0u; i < K; i++) { shift = max(shift, llo[i]); }
  var num = 0.0;
  var den = 0.0;
  var best = NEG;
  if (shift > LOG_EMPTY) {
    for (var i = 0u; i < K; i++) {
      let w = exp(llo[i] - shift);
      num += w * cf[i];
      den += w;
    }
    best = num / den;
  }
  for (var t = 0u; t < K; t++) {
    let i = o[t];
    let next = max(shift, lhi[i]);
    let rescale = exp(shift - next);
    num *= rescale;
    den *= rescale;
    shift = next;
    let d = exp(lhi[i] - shift) - exp(llo[i] - shift);
    num += d * cf[i];
    den += d;
    if (den > 0.0) { best = max(best, num / den); }
  }
  return best;
}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let local = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  if (local >= params.count) { return; }
  let e = params.first + local;
  let k = e % V;
  let c = (e / V) % (K - 1u) + 1u;
  let q = (e / (V * (K - 1u))) % V;
  let m = params.mStart + e / (V * V * (K - 1u));
  let cmax = select(K - 2u, K - 1u, q == m);
  if (q > m || k >= m || c > cmax) { return; }
  let at = (m - params.mStart) * V;
  let u = centre[2u * (at + q)];
  let wm = centre[2u * (at + m) + 1u];
  let wk = centre[2u * (at + k) + 1u];
  let wq = centre[2u * (at + q) + 1u];
  var dec = NEG;
  for (var side = 0u; side < 2u; side++) {
    fill(q, m, c, k, side);
    for (var i = 0u; i < K - 1u; i++) { cf[i] = select(wk, wm, tk[i] == m); }
    cf[K - 1u] = wq;
    dec = max(dec, u + pavg());
  }
  // The joint bound is never above the decoupled one, so below the threshold the decoupled one stands in for it.
  var jnt = dec;
  if (dec >= params.jointAbove) {
    jnt = NEG;
    for (var side = 0u; side < 2u; side++) {
      fill(q, m, c, k, side);
      for (var x = 0u; x < V; x++) {
        if (x == m) { continue; }
        let eu = tab[EU0 + q * V + x] - tab[EU0 + q * V + m];
        let pn = pnon(x, m);
        for (var i = 0u; i < K; i++) {
          cf[i] = eu + select(pn, pquery(x, m), i == K - 1u) + evou(tk[i], x) - evou(tk[i], m);
        }
        jnt = max(jnt, pavg());
      }
    }
  }
  outb[2u * local] = dec;
  outb[2u * local + 1u] = jnt;
}
`;
}

interface CubicBuffers {
  tab: GPUBuffer;
  logw: GPUBuffer;
  ord: GPUBuffer;
}

/** Uploads the tables once per CubicWeights object (the prover calls the kernel once per chunk of max tokens). */
const uploaded = new WeakMap<CubicWeights, { ctx: WebGPUContext; buffers: CubicBuffers }>();

function buffersFor(ctx: WebGPUContext, T: PathTables, w: CubicWeights): CubicBuffers {
  const have = uploaded.get(w);
  if (have && have.ctx === ctx) return have.buffers;
  const { k: K, vocab: V } = T;
  const tab = new Float32Array(2 * V * V + K * V);
  tab.set(T.EU, 0);
  tab.set(T.EVOU, V * V);
  tab.set(T.PVOU, 2 * V * V);
  const log = (x: number) => (x > 0 ? Math.log(x) : LOG_ZERO);
  const logw = new Float32Array(2 * V * V + 2 * V * K);
  for (let i = 0; i < V * V; i++) {
    logw[i] = log(w.expE.lo[i]);
    logw[V * V + i] = log(w.expE.hi[i]);
  }
  for (let i = 0; i < V * K; i++) {
    logw[2 * V * V + i] = log(w.expP.lo[i]);
    logw[2 * V * V + V * K + i] = log(w.expP.hi[i]);
  }
  const ord = Uint32Array.from(w.positionOrder.flat());
  const buffers = {
    tab: uploadStorage(ctx, tab, 'cubic tables'),
    logw: uploadStorage(ctx, logw, 'cubic log weights'),
    ord: uploadStorage(ctx, ord, 'cubic position order'),
  };
  uploaded.set(w, { ctx, buffers });
  return buffers;
}

export async function cubicCaseBoundsWebGPU(ctx: WebGPUContext, input: CubicCaseBoundsInput): Promise<CubicCaseBoundsOutput> {
  checkAlive(ctx);
  const { tables: T, weights, mRange } = input;
  const { k: K, vocab: V } = T;
  if (K < 2 || K > MAX_K) throw new BackendLimitError(`the WebGPU cubic kernel supports 2 ≤ K ≤ ${MAX_K}, not ${K}`);
  checkMRange(V, mRange);
  const entries = cubicTableEntries(K, V, mRange.end - mRange.start);
  // Entry indices are u32 in the shader; the centring pass is held to 65,535 workgroups.
  if (2 * entries > 0xffffffff || (mRange.end - mRange.start) * V > 65535 * WORKGROUP) {
    throw new BackendLimitError(`the WebGPU cubic kernel takes at most 2^31 entries and 4,194,240 (m, t) pairs per call; [${mRange.start}, ${mRange.end}) at K = ${K}, V = ${V} is over`);
  }
  const { device } = ctx;
  const centrePipe = await compilePipeline(ctx, `cubic-centre:${K}:${V}`, cubicCentreShader(K, V));
  const pipe = await compilePipeline(ctx, `cubic:${K}:${V}`, cubicShader(K, V));
  const buffers = buffersFor(ctx, T, weights);
  const mCount = mRange.end - mRange.start;
  const centre = scratchBuffer(ctx, 'cubic centre', 8 * mCount * V, Usage.STORAGE);
  const centreParams = scratchBuffer(ctx, 'cubic centre params', 16, Usage.UNIFORM | Usage.COPY_DST);
  const out = scratchBuffer(ctx, 'cubic bounds', 8 * Math.min(entries, DISPATCH_ENTRIES), Usage.STORAGE | Usage.COPY_SRC);
  const params = scratchBuffer(ctx, 'cubic params', 16, Usage.UNIFORM | Usage.COPY_DST);
  const bounds = new Float32Array(2 * entries);
  await scoped(device, 'cubic centring dispatch', () => {
    device.queue.writeBuffer(centreParams, 0, Uint32Array.of(mRange.start, mCount, 0, 0));
    const encoder = device.createCommandEncoder();
    const entries = [
      { binding: 0, resource: { buffer: buffers.tab } },
      { binding: 1, resource: { buffer: centreParams } },
      { binding: 2, resource: { buffer: centre, size: 8 * mCount * V } },
    ];
    encodePass(device, encoder, centrePipe, entries, Math.ceil((mCount * V) / WORKGROUP));
    device.queue.submit([encoder.finish()]);
  });
  for (let first = 0; first < entries; first += DISPATCH_ENTRIES) {
    const count = Math.min(DISPATCH_ENTRIES, entries - first);
    await scoped(device, 'cubic case dispatch', () => {
      const p = new DataView(new ArrayBuffer(16));
      p.setUint32(0, mRange.start, true);
      p.setUint32(4, first, true);
      p.setUint32(8, count, true);
      p.setFloat32(12, clampF32(input.jointAbove ?? -Infinity), true);
      device.queue.writeBuffer(params, 0, p.buffer);
      const encoder = device.createCommandEncoder();
      const entries = [
        { binding: 0, resource: { buffer: buffers.tab } },
        { binding: 1, resource: { buffer: buffers.logw } },
        { binding: 2, resource: { buffer: buffers.ord } },
        { binding: 3, resource: { buffer: params } },
        { binding: 4, resource: { buffer: out, size: 8 * count } },
        { binding: 5, resource: { buffer: centre, size: 8 * mCount * V } },
      ];
      encodePass(device, encoder, pipe, entries, Math.ceil(count / WORKGROUP));
      device.queue.submit([encoder.finish()]);
    });
    bounds.set(new Float32Array(await readBack(ctx, out, 8 * count)), 2 * first);
  }
  return { bounds };
}
