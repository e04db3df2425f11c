/// <reference types="@webgpu/types" />
/**
 * Opening and closing the WebGPU backend through the `webgpu` npm package (Dawn's node bindings). The package is
 * imported lazily, so cpu-only runs never load dawn.node. Dawn keeps the process alive while its GPU object is
 * referenced: `closeWebGPU` destroys the device and drops every reference.
 */
import type { PathTables } from '../../model/paths.js';
import type { BackendOptions, OpenResult } from '../registry.js';
import { exhaustiveShader, tableLayout, type ShaderMode } from './shaders.js';

/** WebGPU's buffer-usage and map-mode bits (fixed by the spec), so no globals need installing. */
export const Usage = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 } as const;
export const MAP_READ = 1;

export interface WebGPUContext {
  gpu: GPU | undefined;
  device: GPUDevice;
  software: boolean;
  pipelines: Map<string, GPUComputePipeline>;
  tables: WeakMap<PathTables, TableBuffers>;
  /** Every buffer the context keeps across calls, destroyed on close. */
  owned: GPUBuffer[];
  /** Set when the device is lost or reports an error nobody captured. */
  failure: string | undefined;
  /** Scratch kept across calls by kernels (buffers listed in `owned`). */
  scratch: Map<string, GPUBuffer>;
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software/i;

/**
 * Why Dawn found no adapter, once it has been asked in this thread. Each new Dawn instance looks for its drivers again
 * and prints what it misses to stderr (without a Vulkan loader: `Warning: Couldn't load Vulkan: libvulkan.so.1: …`,
 * from native code, which no JavaScript can capture), so it is asked at most once: drivers do not appear while a
 * process runs, and the reason returned says what is missing.
 */
let noAdapter: string | undefined;

export async function openWebGPU(options: BackendOptions): Promise<OpenResult<WebGPUContext>> {
  if (noAdapter !== undefined) return { ok: false, reason: noAdapter };
  let create: (flags: string[]) => GPU;
  try {
    ({ create } = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU });
  } catch (e) {
    return { ok: false, reason: `the webgpu package (Dawn) cannot be loaded here: ${(e as Error).message}` };
  }
  let gpu: GPU | undefined;
  try {
    gpu = create([]);
  } catch (e) {
    return { ok: false, reason: `Dawn failed to start: ${(e as Error).message}` };
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    gpu = undefined;
    noAdapter =
      'no WebGPU adapter exists (Dawn found no Vulkan device; for a software one on Debian bookworm install libvulkan1 and mesa-vulkan-drivers 25.x from bookworm-backports)';
    return { ok: false, reason: noAdapter };
  }
  const info = adapter.info;
  const description = `webgpu (float32): ${info.description || info.device || 'unnamed adapter'} [${info.vendor || '?'}, ${info.architecture || '?'}]`;
  const software = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true || SOFTWARE_ADAPTER.test(`${info.description} ${info.device} ${info.architecture}`);
  if (software && !options.allowSoftwareAdapter) {
    gpu = undefined;
    return { ok: false, reason: `only a software adapter exists (${info.description || info.device}); ask for --backend webgpu to use it anyway` };
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice();
  } catch (e) {
    gpu = undefined;
    return { ok: false, reason: `the adapter refused a device: ${(e as Error).message}` };
  }
  const context: WebGPUContext = { gpu, device, software, pipelines: new Map(), tables: new WeakMap(), owned: [], failure: undefined, scratch: new Map() };
  device.onuncapturederror = (ev) => {
    context.failure ??= `uncaptured WebGPU error: ${ev.error.message}`;
  };
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') context.failure ??= `WebGPU device lost: ${info.message}`;
  });
  return { ok: true, context, description };
}

export async function closeWebGPU(context: WebGPUContext): Promise<void> {
  for (const b of context.owned) b.destroy();
  context.owned.length = 0;
  context.scratch.clear();
  context.pipelines.clear();
  context.device.onuncapturederror = null;
  context.device.destroy();
  context.gpu = undefined;
}

export function checkAlive(context: WebGPUContext): void {
  if (context.failure) throw new Error(context.failure);
}

/** Runs `body` inside validation and out-of-memory error scopes and throws the first error either reports. */
export async function scoped<T>(device: GPUDevice, what: string, body: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let thrown: unknown;
  try {
    result = await body();
  } catch (e) {
    thrown = e;
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (thrown !== undefined) throw thrown;
  const err = validation ?? oom;
  if (err) throw new Error(`WebGPU ${what}: ${err.message}`);
  return result as T;
}

/** A compute pipeline for `code` (entry point `main`), compiled once per context under `key`; WGSL errors throw. */
export async function compilePipeline(context: WebGPUContext, key: string, code: string): Promise<GPUComputePipeline> {
  const cached = context.pipelines.get(key);
  if (cached) return cached;
  const { device } = context;
  const made = await scoped(device, `shader ${key}`, async () => {
    const module = device.createShaderModule({ code, label: key });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) throw new Error(`WGSL ${key} does not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
    return device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
  });
  context.pipelines.set(key, made);
  return made;
}

export function pipeline(context: WebGPUContext, K: number, V: number, mode: ShaderMode): Promise<GPUComputePipeline> {
  return compilePipeline(context, `${mode}:${K}:${V}`, exhaustiveShader(K, V, mode));
}

export interface TableBuffers {
  tab: GPUBuffer;
  rows: GPUBuffer;
}

/** The tables as float32 in the two storage buffers of tableLayout, uploaded once per PathTables object. */
export function tableBuffers(context: WebGPUContext, T: PathTables): TableBuffers {
  const cached = context.tables.get(T);
  if (cached) return cached;
  const { k: K, vocab: V } = T;
  const L = tableLayout(K, V);
  const tab = new Float32Array(L.tabLength);
  tab.set(T.EQKE, L.EQKE);
  tab.set(T.EQKP, L.EQKP);
  const rows = new Float32Array(L.rowsLength);
  for (let q = 0; q < V; q++) for (let x = 0; x < V; x++) rows[q * L.stride + x] = T.EU[q * V + x];
  for (let p = 0; p < K; p++) {
    for (let t = 0; t < V; t++) {
      const at = (V + p * V + t) * L.stride;
      for (let x = 0; x < V; x++) rows[at + x] = T.EVOU[t * V + x] + T.PVOU[p * V + x];
    }
  }
  const made = { tab: uploadStorage(context, tab, 'attention tables'), rows: uploadStorage(context, rows, 'logit rows') };
  context.tables.set(T, made);
  return made;
}

/** The log of a zero weight in the log-weight tables: finite (WGSL may assume no infinities), and exp(−1e30) = 0. */
export const LOG_ZERO = -1e30;

/** `x` clamped to ±3e38, so that a ±∞ threshold reaches a shader as a finite float32. */
export function clampF32(x: number): number {
  return Math.max(-3e38, Math.min(3e38, x));
}

/** A read-only storage buffer holding `data`, kept by the context until it closes. */
export function uploadStorage(context: WebGPUContext, data: Float32Array | Uint32Array, label: string): GPUBuffer {
  const buffer = context.device.createBuffer({ size: data.byteLength, usage: Usage.STORAGE | Usage.COPY_DST, label });
  context.device.queue.writeBuffer(buffer, 0, data);
  context.owned.push(buffer);
  return buffer;
}

/**
 * Records one compute pass of `pipe` with bind group 0 made of `entries`, over `groups` workgroups. Past 32,768 they
 * are laid out as x = 32,768 by y rows (WebGPU allows at most 65,535 per dimension), so the shaders number their
 * workgroups wid.x + wid.y·nwg.x; a shader that reads only x must keep `groups` ≤ 32,768.
 */
export function encodePass(device: GPUDevice, encoder: GPUCommandEncoder, pipe: GPUComputePipeline, entries: GPUBindGroupEntry[], groups: number): void {
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries }));
  const x = Math.min(groups, 32768);
  pass.dispatchWorkgroups(x, Math.ceil(groups / x));
  pass.end();
}

/** A buffer kept across calls under `name`, (re)created when a larger one is needed. */
export function scratchBuffer(context: WebGPUContext, name: string, size: number, usage: number): GPUBuffer {
  const have = context.scratch.get(name);
  if (have && have.size >= size) return have;
  if (have) {
    have.destroy();
    context.owned.splice(context.owned.indexOf(have), 1);
  }
  const made = context.device.createBuffer({ size, usage, label: name });
  context.scratch.set(name, made);
  context.owned.push(made);
  return made;
}

/** Copies `size` bytes of `source` to a mappable buffer and returns them. */
export async function readBack(context: WebGPUContext, source: GPUBuffer, size: number): Promise<ArrayBuffer> {
  const { device } = context;
  const staging = scratchBuffer(context, `readback:${source.label}`, size, Usage.MAP_READ | Usage.COPY_DST);
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(source, 0, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MAP_READ, 0, size);
  const bytes = staging.getMappedRange(0, size).slice(0);
  staging.unmap();
  checkAlive(context);
  return bytes;
}
