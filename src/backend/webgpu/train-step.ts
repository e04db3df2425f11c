/// <reference types="@webgpu/types" />
/**
 * WebGPU training step: the forward and backward pass of src/train/forward-backward.ts (MaxOfKNet.lossAndGrad) in
 * float32, in two dispatches.
 *   1. One invocation per sequence b: its forward pass, loss and backward pass; it writes its own contribution to the
 *      dense gradients (W_Q, W_K, W_V, W_O, W_U: contiguous at the end of the parameter layout) and its dX rows.
 *   2. One invocation per parameter: the sum over the batch, in sequence order (W_E rows gather the dX rows of the
 *      positions holding that token; W_pos rows those of that position).
 * The optimizer update stays on the host. The result is a float32 hint: the conformance suite compares it with the
 * float64 reference within a relative tolerance.
 */
import { paramLayout, type Dims } from '../../train/forward-backward.js';
import type { TrainStepGradientInput, TrainStepGradientOutput } from '../kernels.js';
import { BackendLimitError } from '../registry.js';
import { checkAlive, compilePipeline, MAP_READ, scoped, scratchBuffer, Usage, type WebGPUContext } from './device.js';

const WG = 64;

function checkDims(dims: Dims, batch: number): void {
  const { k, vocab, dModel, dHead } = dims;
  if (dims.biases) throw new BackendLimitError('the WebGPU training step does not train biases (use --backend cpu with --biases)');
  for (const [name, v, max] of [['K', k, 16], ['V', vocab, 1024], ['d_model', dModel, 256], ['d_head', dHead, 256], ['batch', batch, 1 << 16]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new BackendLimitError(`the WebGPU training step supports 1 ≤ ${name} ≤ ${max}, not ${v}`);
  }
}

/** The two shaders; only private array lengths depend on the dims, so one compilation serves every batch size. */
function shaders(dims: Dims): { step: string; reduce: string } {
  const { k: K, vocab: V, dModel: D, dHead: H } = dims;
  // Sizes and offsets arrive as a uniform, not as constants: with constant trip counts lavapipe's LLVM unrolls every
  // loop fully, and compiling the K=4, V=64, d=32 step then takes many minutes. Array lengths stay literal.
  const common = `struct Sizes {
  K: u32, V: u32, D: u32, H: u32,
  B: u32, WE: u32, WPOS: u32, WQ: u32,
  WK: u32, WV: u32, WO: u32, WU: u32,
  P: u32, PD: u32, scale: f32, pad: u32,
};
@group(0) @binding(6) var<uniform> sz: Sizes;
`;
  const lets = `  let K = sz.K; let V = sz.V; let D = sz.D; let H = sz.H; let B = sz.B;
  let WE = sz.WE; let WPOS = sz.WPOS; let WQ = sz.WQ; let WK = sz.WK; let WV = sz.WV; let WO = sz.WO; let WU = sz.WU;
  let P = sz.P; let PD = sz.PD;
`;
  const step = `${common}
@group(0) @binding(0) var<storage, read> prm: array<f32>;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read_write> dense: array<f32>;
@group(0) @binding(3) var<storage, read_write> dXs: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

// log(1 + u) without losing u when it is tiny (Goldberg's form).
fn log1p_(u: f32) -> f32 {
  let w = 1.0 + u;
  if (w == 1.0) { return u; }
  return log(w) * u / (w - 1.0);
}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
${lets}  let b = gid.x;
  if (b >= B) { return; }
  let scale = sz.scale;
  var t: array<u32, ${K}>;
  var y = 0u;
  for (var p = 0u; p < K; p++) { t[p] = tokens[b * K + p]; y = max(y, t[p]); }

  // Forward.
  var X: array<f32, ${K * D}>;
  for (var p = 0u; p < K; p++) {
    for (var i = 0u; i < D; i++) { X[p * D + i] = prm[WE + t[p] * D + i] + prm[WPOS + p * D + i]; }
  }
  let qo = (K - 1u) * D;
  var Q: array<f32, ${H}>;
  for (var j = 0u; j < H; j++) {
    var s = 0.0;
    for (var i = 0u; i < D; i++) { s += X[qo + i] * prm[WQ + i * H + j]; }
    Q[j] = s;
  }
  var Kt: array<f32, ${K * H}>;
  var Vt: array<f32, ${K * H}>;
  for (var p = 0u; p < K; p++) {
    for (var j = 0u; j < H; j++) {
      var sk = 0.0;
      var sv = 0.0;
      for (var i = 0u; i < D; i++) {
        sk += X[p * D + i] * prm[WK + i * H + j];
        sv += X[p * D + i] * prm[WV + i * H + j];
      }
      Kt[p * H + j] = sk;
      Vt[p * H + j] = sv;
    }
  }
  var a: array<f32, ${K}>;
  var top = -3.0e38;
  for (var p = 0u; p < K; p++) {
    var s = 0.0;
    for (var j = 0u; j < H; j++) { s += Q[j] * Kt[p * H + j]; }
    a[p] = s * scale;
    top = max(top, a[p]);
  }
  var sum = 0.0;
  for (var p = 0u; p < K; p++) { a[p] = exp(a[p] - top); sum += a[p]; }
  for (var p = 0u; p < K; p++) { a[p] = a[p] / sum; }
  var Z: array<f32, ${H}>;
  for (var p = 0u; p < K; p++) {
    for (var j = 0u; j < H; j++) { Z[j] += a[p] * Vt[p * H + j]; }
  }
  var R: array<f32, ${D}>;
  for (var i = 0u; i < D; i++) {
    var s = 0.0;
    for (var j = 0u; j < H; j++) { s += Z[j] * prm[WO + j * D + i]; }
    R[i] = s + X[qo + i];
  }
  var Lg: array<f32, ${V}>;
  for (var x = 0u; x < V; x++) {
    var s = 0.0;
    for (var i = 0u; i < D; i++) { s += R[i] * prm[WU + i * V + x]; }
    Lg[x] = s;
  }

  // Loss; Lg becomes dLoss/dLogits = (softmax − onehot(y)) / B.
  var best = 0u;
  for (var x = 1u; x < V; x++) { if (Lg[x] > Lg[best]) { best = x; } }
  let maxL = Lg[best];
  let yMinusMax = Lg[y] - maxL;
  var others = 0.0;
  for (var x = 0u; x < V; x++) {
    var e = 1.0;
    if (x != best) { e = exp(Lg[x] - maxL); others += e; }
    Lg[x] = e;
  }
  stats[2u * b] = -(yMinusMax - log1p_(others));
  stats[2u * b + 1u] = select(0.0, 1.0, best == y);
  let z = 1.0 + others;
  for (var x = 0u; x < V; x++) { Lg[x] = (Lg[x] / z - select(0.0, 1.0, x == y)) / f32(B); }

  // Backward. This sequence's dense gradients start at go.
  let go = b * PD;
  var dR: array<f32, ${D}>;
  for (var i = 0u; i < D; i++) {
    var s = 0.0;
    for (var x = 0u; x < V; x++) {
      dense[go + WU - WQ + i * V + x] = R[i] * Lg[x];
      s += Lg[x] * prm[WU + i * V + x];
    }
    dR[i] = s;
  }
  var dZ: array<f32, ${H}>;
  for (var j = 0u; j < H; j++) {
    var s = 0.0;
    for (var i = 0u; i < D; i++) {
      dense[go + WO - WQ + j * D + i] = Z[j] * dR[i];
      s += dR[i] * prm[WO + j * D + i];
    }
    dZ[j] = s;
  }
  var ds: array<f32, ${K}>;
  var weighted = 0.0;
  for (var p = 0u; p < K; p++) {
    var da = 0.0;
    for (var j = 0u; j < H; j++) { da += dZ[j] * Vt[p * H + j]; }
    ds[p] = da;
    weighted += a[p] * da;
  }
  var dQ: array<f32, ${H}>;
  for (var p = 0u; p < K; p++) {
    ds[p] = a[p] * (ds[p] - weighted) * scale;
    for (var j = 0u; j < H; j++) { dQ[j] += ds[p] * Kt[p * H + j]; }
  }
  // dKt[p, j] = ds_p Q_j and dVt[p, j] = a_p dZ_j, used without being stored.
  for (var i = 0u; i < D; i++) {
    for (var j = 0u; j < H; j++) {
      dense[go + i * H + j] = X[qo + i] * dQ[j];
      var gk = 0.0;
      var gv = 0.0;
      for (var p = 0u; p < K; p++) {
        gk += X[p * D + i] * ds[p] * Q[j];
        gv += X[p * D + i] * a[p] * dZ[j];
      }
      dense[go + WK - WQ + i * H + j] = gk;
      dense[go + WV - WQ + i * H + j] = gv;
    }
  }
  for (var p = 0u; p < K; p++) {
    for (var i = 0u; i < D; i++) {
      var s = 0.0;
      for (var j = 0u; j < H; j++) {
        s += ds[p] * Q[j] * prm[WK + i * H + j] + a[p] * dZ[j] * prm[WV + i * H + j];
      }
      if (p == K - 1u) {
        for (var j = 0u; j < H; j++) { s += dQ[j] * prm[WQ + i * H + j]; }
        s += dR[i];
      }
      dXs[(b * K + p) * D + i] = s;
    }
  }
}
`;
  const reduce = `${common}
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read> dense: array<f32>;
@group(0) @binding(3) var<storage, read> dXs: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
${lets}  let j = gid.x;
  if (j >= P) { return; }
  var s = 0.0;
  if (j < WPOS) {
    let t = (j - WE) / D;
    let i = (j - WE) % D;
    for (var b = 0u; b < B; b++) {
      for (var p = 0u; p < K; p++) {
        if (tokens[b * K + p] == t) { s += dXs[(b * K + p) * D + i]; }
      }
    }
  } else if (j < WQ) {
    let p = (j - WPOS) / D;
    let i = (j - WPOS) % D;
    for (var b = 0u; b < B; b++) { s += dXs[(b * K + p) * D + i]; }
  } else {
    for (var b = 0u; b < B; b++) { s += dense[b * PD + j - WQ]; }
  }
  grad[j] = s;
}
`;
  return { step, reduce };
}

export async function trainStepGradientWebGPU(ctx: WebGPUContext, input: TrainStepGradientInput): Promise<TrainStepGradientOutput> {
  checkAlive(ctx);
  const { dims, params, tokens, batch } = input;
  checkDims(dims, batch);
  const { k: K, vocab: V, dModel: D, dHead: H } = dims;
  const layout = paramLayout(dims);
  if (params.length !== layout.total) throw new RangeError(`params has ${params.length} entries, the layout ${layout.total}`);
  if (tokens.length !== batch * K) throw new RangeError(`tokens has ${tokens.length} entries, not batch·K = ${batch * K}`);
  const tok = new Uint32Array(batch * K);
  for (let n = 0; n < tok.length; n++) {
    const t = tokens[n];
    if (!Number.isInteger(t) || t < 0 || t >= V) throw new RangeError(`token ${t} at ${n} is not in [0, ${V})`);
    tok[n] = t;
  }
  const PD = layout.total - layout.offsets.WQ;
  const denseBytes = batch * PD * 4;
  if (denseBytes > ctx.device.limits.maxStorageBufferBindingSize) throw new BackendLimitError(`batch ${batch} needs ${denseBytes} bytes of per-sequence gradients, over the device's binding limit`);
  const key = `train:${K}:${V}:${D}:${H}`;
  const code = shaders(dims);
  const step = await compilePipeline(ctx, `${key}:step`, code.step);
  const reduce = await compilePipeline(ctx, `${key}:reduce`, code.reduce);
  const { device } = ctx;
  const prm = scratchBuffer(ctx, 'train params', layout.total * 4, Usage.STORAGE | Usage.COPY_DST);
  const tokBuf = scratchBuffer(ctx, 'train tokens', tok.byteLength, Usage.STORAGE | Usage.COPY_DST);
  const dense = scratchBuffer(ctx, 'train dense', denseBytes, Usage.STORAGE);
  const dXs = scratchBuffer(ctx, 'train dX', batch * K * D * 4, Usage.STORAGE);
  const stats = scratchBuffer(ctx, 'train stats', batch * 8, Usage.STORAGE | Usage.COPY_SRC);
  const grad = scratchBuffer(ctx, 'train grad', layout.total * 4, Usage.STORAGE | Usage.COPY_SRC);
  const sizes = scratchBuffer(ctx, 'train sizes', 64, Usage.UNIFORM | Usage.COPY_DST);
  const o = layout.offsets;
  const sizeWords = new Uint32Array([K, V, D, H, batch, o.WE, o.Wpos, o.WQ, o.WK, o.WV, o.WO, o.WU, layout.total, PD, 0, 0]);
  new Float32Array(sizeWords.buffer, 14 * 4, 1)[0] = 1 / Math.sqrt(H);
  const readSize = layout.total * 4 + batch * 8;
  const staging = scratchBuffer(ctx, 'train readback', readSize, Usage.MAP_READ | Usage.COPY_DST);

  await scoped(device, 'train step dispatch', () => {
    device.queue.writeBuffer(prm, 0, Float32Array.from(params));
    device.queue.writeBuffer(tokBuf, 0, tok);
    device.queue.writeBuffer(sizes, 0, sizeWords);
    const encoder = device.createCommandEncoder();
    const p1 = encoder.beginComputePass();
    p1.setPipeline(step);
    p1.setBindGroup(
      0,
      device.createBindGroup({
        layout: step.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: prm, size: layout.total * 4 } },
          { binding: 1, resource: { buffer: tokBuf, size: tok.byteLength } },
          { binding: 2, resource: { buffer: dense, size: denseBytes } },
          { binding: 3, resource: { buffer: dXs, size: batch * K * D * 4 } },
          { binding: 4, resource: { buffer: stats, size: batch * 8 } },
          { binding: 6, resource: { buffer: sizes } },
        ],
      }),
    );
    p1.dispatchWorkgroups(Math.ceil(batch / WG));
    p1.end();
    const p2 = encoder.beginComputePass();
    p2.setPipeline(reduce);
    p2.setBindGroup(
      0,
      device.createBindGroup({
        layout: reduce.getBindGroupLayout(0),
        entries: [
          { binding: 1, resource: { buffer: tokBuf, size: tok.byteLength } },
          { binding: 2, resource: { buffer: dense, size: denseBytes } },
          { binding: 3, resource: { buffer: dXs, size: batch * K * D * 4 } },
          { binding: 5, resource: { buffer: grad, size: layout.total * 4 } },
          { binding: 6, resource: { buffer: sizes } },
        ],
      }),
    );
    p2.dispatchWorkgroups(Math.ceil(layout.total / WG));
    p2.end();
    encoder.copyBufferToBuffer(grad, 0, staging, 0, layout.total * 4);
    encoder.copyBufferToBuffer(stats, 0, staging, layout.total * 4, batch * 8);
    device.queue.submit([encoder.finish()]);
  });
  await staging.mapAsync(MAP_READ, 0, readSize);
  const out = new Float32Array(staging.getMappedRange(0, readSize).slice(0));
  staging.unmap();
  checkAlive(ctx);
  const g = Float64Array.from(out.subarray(0, layout.total));
  let lossSum = 0;
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    lossSum += out[layout.total + 2 * b];
    correct += out[layout.total + 2 * b + 1];
  }
  return { loss: lossSum / batch, correct, grad: g };
}
