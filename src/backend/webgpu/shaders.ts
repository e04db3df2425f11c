/**
 * WGSL for the exhaustive-evaluation kernels, generated per (K, V) so loops over positions unroll. One invocation
 * decides one sequence in float32, in the order of operations of logitsFromTables (src/model/paths.ts):
 *   a = softmax_p((EQKE[q, t_p] + EQKP[q, p]) · scale),  logit[x] = EU[q, x] + Σ_p a_p OV[p, t_p, x],
 * with OV[p, t, x] = EVOU[t, x] + PVOU[p, x] summed on the host (tableLayout),
 * margin = logit[max(t)] − max over other x of logit[x]; the sequence is correct iff margin > 0.
 */
import { BackendLimitError } from '../registry.js';


export const WORKGROUP_SIZE = 256;
/** Positions the shaders support (the sequence's start digits travel in two vec4<u32>). */
export const MAX_K = 8;

/**
 * The tables travel in two storage buffers. `tab` (f32) holds the attention tables EQKE [V, V] then EQKP [V, K].
 * `rows` (vec4<f32>) holds the logit rows, each padded with zeros to a multiple of 4 entries (`stride`):
 * row q (< V) is EU[q, ·]; row V + p·V + t is OV[p, t, ·] = EVOU[t, ·] + PVOU[p, ·], summed in float64 on the host
 * before rounding to float32 (half the loads per logit, and one rounding, not two).
 */
export function tableLayout(K: number, V: number): { EQKE: number; EQKP: number; tabLength: number; stride: number; rowsLength: number } {
  const stride = 4 * Math.ceil(V / 4);
  return { EQKE: 0, EQKP: V * V, tabLength: V * V + V * K, stride, rowsLength: (V + K * V) * stride };
}

/**
 * Uniform parameters, one 256-byte slot per dispatch:
 *   start: the base-V digits of the first sequence (digit p in start[p / 4][p % 4]);
 *   count: sequences in this dispatch; slot: which counter block this dispatch adds to; scale; tolerance.
 */
export const PARAMS_BYTES = 48;
export const PARAMS_STRIDE = 256;

export type ShaderMode = 'count' | 'margins';

export function exhaustiveShader(K: number, V: number, mode: ShaderMode): string {
  if (!Number.isInteger(K) || K < 1 || K > MAX_K) throw new BackendLimitError(`WebGPU kernels support 1 ≤ K ≤ ${MAX_K}, not ${K}`);
  if (!Number.isInteger(V) || V < 1 || V > 65536) throw new BackendLimitError(`WebGPU kernels support 1 ≤ V ≤ 65536, not ${V}`);
  const L = tableLayout(K, V);
  const bindings =
    mode === 'count'
      ? `@group(0) @binding(2) var<storage, read_write> counters: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> ties: array<u32>;
var<workgroup> wgSure: atomic<u32>;
var<workgroup> wgRaw: atomic<u32>;`
      : `@group(0) @binding(2) var<storage, read_write> margins: array<f32>;`;
  const finish =
    mode === 'count'
      ? `  var sure = 0u;
  var raw = 0u;
  if (inRange) {
    raw = select(0u, 1u, margin > 0.0);
    if (abs(margin) <= params.tolerance) {
      // A near-tie: the host re-decides it in float64. Entries past the list's capacity are counted, not stored.
      let at = atomicAdd(&counters[0], 1u);
      if (2u * at + 1u < arrayLength(&ties)) {
        ties[2u * at] = params.slot;
        ties[2u * at + 1u] = i;
      }
    } else {
      sure = raw;
    }
  }
  if (lid == 0u) {
    atomicStore(&wgSure, 0u);
    atomicStore(&wgRaw, 0u);
  }
  workgroupBarrier();
  if (sure != 0u) { atomicAdd(&wgSure, 1u); }
  if (raw != 0u) { atomicAdd(&wgRaw, 1u); }
  workgroupBarrier();
  if (lid == 0u) {
    let base = 4u + 4u * params.slot;
    atomicAdd(&counters[base], atomicLoad(&wgSure));
    atomicAdd(&counters[base + 1u], atomicLoad(&wgRaw));
  }`
      : `  if (inRange) { margins[i] = margin; }`;

  return `// Generated for K = ${K}, V = ${V}, mode = ${mode}.
const K = ${K}u;
const V = ${V}u;
// vec4s per logit row.
const W = ${L.stride / 4}u;

struct Params {
  start: array<vec4<u32>, 2>,
  count: u32,
  slot: u32,
  scale: f32,
  tolerance: f32,
};

@group(0) @binding(0) var<storage, read> tab: array<f32>;
@group(0) @binding(4) var<storage, read> rows: array<vec4<f32>>;
@group(0) @binding(1) var<uniform> params: Params;
${bindings}

fn startDigit(p: u32) -> u32 {
  return params.start[p / 4u][p % 4u];
}

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * ${WORKGROUP_SIZE}u + lid;
  let inRange = i < params.count;
  var margin = 0.0;
  if (inRange) {
    // Tokens of sequence start + i: add i's base-V digits to the start digits, carrying.
    var t: array<u32, K>;
    var rest = i;
    var carry = 0u;
    for (var p = i32(K) - 1; p >= 0; p--) {
      let d = startDigit(u32(p)) + rest % V + carry;
      rest = rest / V;
      t[p] = d % V;
      carry = d / V;
    }
    let q = t[K - 1u];
    var label = 0u;
    for (var p = 0u; p < K; p++) { label = max(label, t[p]); }

    var a: array<f32, K>;
    var top = bitcast<f32>(0xff7fffffu);
    for (var p = 0u; p < K; p++) {
      let s = (tab[${L.EQKE}u + q * V + t[p]] + tab[${L.EQKP}u + q * K + p]) * params.scale;
      a[p] = s;
      top = max(top, s);
    }
    var z = 0.0;
    for (var p = 0u; p < K; p++) {
      a[p] = exp(a[p] - top);
      z += a[p];
    }
    for (var p = 0u; p < K; p++) { a[p] = a[p] / z; }

    var labelLogit = 0.0;
    var other = bitcast<f32>(0xff7fffffu);
    for (var w = 0u; w < W; w++) {
      var l = rows[q * W + w];
      for (var p = 0u; p < K; p++) {
        l += a[p] * rows[(V + p * V + t[p]) * W + w];
      }
      for (var c = 0u; c < 4u; c++) {
        let x = 4u * w + c;
        if (x == label) { labelLogit = l[c]; } else if (x < V) { other = max(other, l[c]); }
      }
    }
    margin = labelLogit - other;
    if (V == 1u) { margin = bitcast<f32>(0x7f7fffffu); }
  }
${finish}
}
`;
}
