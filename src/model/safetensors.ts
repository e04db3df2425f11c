/**
 * safetensors reader and writer: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets}, __metadata__: {string: string}}`, then raw little-endian tensors.
 * Only what mechcert models need is supported (F32 tensors); everything else is refused with a clear message.
 */

import { jsonShape } from 'mechcert-checker/json';

export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

export interface RawTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

/** A tensor of one-byte elements (BOOL or U8), such as TransformerLens's attention mask; its bytes as stored. */
export interface ByteTensor {
  dtype: 'BOOL' | 'U8';
  shape: number[];
  data: Uint8Array;
}

export interface SafetensorsFile {
  /** The F32 tensors. */
  tensors: Map<string, RawTensor>;
  /** The BOOL and U8 tensors. */
  byteTensors: Map<string, ByteTensor>;
  metadata: Record<string, string>;
}

/** Largest header accepted; real headers for these models are a few hundred bytes. */
const MAX_HEADER_BYTES = 1 << 20;
const DTYPE_BYTES: Record<string, number> = { F32: 4, BOOL: 1, U8: 1 };

/** A validated header entry: its bytes are file[begin, end). */
interface Entry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors file as strictly as the reference library (the checker reads it the same way): the header is a
 * JSON object beginning with `{` (no byte-order mark), no key twice, numbers written as integers, `__metadata__` a
 * string → string object, each entry exactly {dtype, shape, data_offsets}, and the tensors tile the data region with
 * no gap, overlap or trailing bytes. Dtypes: F32, BOOL and U8 (the model decides which tensor may have which).
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  const { text, dataStart } = headerText(bytes);
  const header = parseHeader(text);
  const entries = new Map<string, Entry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(value);
    else entries.set(name, parseEntry(name, value, dataStart, bytes.length));
  }
  checkTiling(entries, dataStart, bytes.length);
  const tensors = new Map<string, RawTensor>();
  const byteTensors = new Map<string, ByteTensor>();
  for (const [name, e] of entries) {
    if (e.dtype === 'F32') tensors.set(name, { dtype: 'F32', shape: e.shape, data: readF32(bytes, e) });
    else byteTensors.set(name, { dtype: e.dtype as ByteTensor['dtype'], shape: e.shape, data: Uint8Array.from(bytes.subarray(e.begin, e.end)) });
  }
  return { tensors, byteTensors, metadata };
}

/** The header's JSON text (which must begin with `{`: TextDecoder would drop a byte-order mark silently). */
function headerText(bytes: Uint8Array): { text: string; dataStart: number } {
  if (bytes.length < 8) throw new ModelFormatError(`file is ${bytes.length} bytes, too short for a safetensors header`);
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) {
    throw new ModelFormatError(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file (truncated or not safetensors)`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) throw new ModelFormatError(`header length ${headerLen} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const dataStart = 8 + Number(headerLen);
  if (bytes[8] === 0xef && bytes[9] === 0xbb && bytes[10] === 0xbf) throw new ModelFormatError('header starts with a byte-order mark (EF BB BF)');
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
    if (text.startsWith('{')) return { text, dataStart };
  } catch { /* reported below */ }
  throw new ModelFormatError('header is not valid UTF-8 JSON beginning with "{" (not a safetensors file?)');
}

/** The header object; refuses a repeated key (JSON.parse would keep the last, another reader the first). */
function parseHeader(text: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw new ModelFormatError('header is not valid UTF-8 JSON (not a safetensors file?)');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ModelFormatError('header is not a JSON object');
  // The checker's pre-scan of JSON text (mechcert-checker/json) finds it, keys compared after unescaping.
  const dup = jsonShape(text).duplicateKey;
  if (dup !== null) throw new ModelFormatError(`header repeats the key ${JSON.stringify(dup)}`);
  // Strings blanked, the only numbers left are shapes and offsets: JSON.parse reads 4.096e3, 4096.0 and
  // 4096.0000000000001 all as 4096, which the reference library refuses.
  for (const token of text.replace(/"(?:[^"\\]|\\.)*"/g, '""').match(/[-0-9][-+.eE0-9]*/g) ?? []) {
    if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new ModelFormatError(`header number ${token} is not written as a non-negative integer`);
  }
  return header as Record<string, unknown>;
}

function parseMetadata(entry: unknown): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ModelFormatError('__metadata__ is not an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== 'string') throw new ModelFormatError(`__metadata__.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

/** One header entry: exactly {dtype, shape, data_offsets}, a supported dtype, offsets inside the file and the right length. */
function parseEntry(name: string, entry: unknown, dataStart: number, fileLen: number): Entry {
  const keys = typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? Object.keys(entry).sort().join() : '';
  if (keys !== 'data_offsets,dtype,shape') throw new ModelFormatError(`tensor ${name}: header entry must hold exactly dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = entry as { dtype: unknown; shape: unknown; data_offsets: unknown };
  // An own property: `in` would also find toString, __proto__ and the rest of Object.prototype.
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) throw new ModelFormatError(`tensor ${name}: dtype ${JSON.stringify(dtype)} is not supported (only F32, and BOOL or U8 for the attention mask)`);
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new ModelFormatError(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new ModelFormatError(`tensor ${name}: data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  const dataLen = fileLen - dataStart;
  // Bounded by the file length as it grows, the element count stays a safe integer.
  const count = (shape as number[]).reduce((a, b) => Math.min(a * b, fileLen + 1), 1);
  if (end < begin || end > dataLen) throw new ModelFormatError(`tensor ${name}: data_offsets [${begin}, ${end}] lie outside the ${dataLen}-byte data section (truncated file?)`);
  const size = count * DTYPE_BYTES[dtype];
  if (end - begin !== size) throw new ModelFormatError(`tensor ${name}: shape [${shape.join(', ')}] needs ${size} bytes but data_offsets give ${end - begin}`);
  return { dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end };
}

/** The tensors tile the data region exactly (sorted by offset, each begins where the previous ended), as the reference library requires. */
function checkTiling(entries: Map<string, Entry>, dataStart: number, fileLen: number): void {
  let at = dataStart;
  for (const [name, e] of [...entries].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end)) {
    if (e.begin !== at) throw new ModelFormatError(`tensor ${name}: data begins at byte ${e.begin - dataStart} of the data section, not at ${at - dataStart} where the previous tensor ended (a gap or an overlap)`);
    at = e.end;
  }
  if (at !== fileLen) throw new ModelFormatError(`${fileLen - at} bytes after the last tensor: the tensors do not tile the data section`);
}

/**
 * Reads through a DataView at the tensor's own offset: it needs no alignment and works for a Node Buffer too, whose
 * .buffer is a larger shared ArrayBuffer (and whose .slice is a view, not a copy).
 */
function readF32(bytes: Uint8Array, e: Entry): Float32Array {
  const data = new Float32Array((e.end - e.begin) / 4);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + e.begin, e.end - e.begin);
  for (let i = 0; i < data.length; i++) data[i] = dv.getFloat32(4 * i, true);
  return data;
}

export function serializeSafetensors(tensors: Map<string, RawTensor>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const len = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so tensor data starts 8-byte aligned, as the reference implementation does.
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    for (let i = 0; i < t.data.length; i++, pos += 4) dv.setFloat32(pos, t.data[i], true);
  }
  return out;
}
