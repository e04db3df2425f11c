/**
 * safetensors reader and writer: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets}, __metadata__: {string: string}}`, then raw little-endian tensors.
 * Only what mechcert models need is supported (F32 tensors); everything else is refused with a clear message.
 */

export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

export interface RawTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

/** Largest header accepted; real headers for these models are a few hundred bytes. */
const MAX_HEADER_BYTES = 1 << 20;

/**
 * Parses a safetensors file. Tensors named in `ignore` are skipped without reading their dtype or data (as the
 * checker does), so buffers such as TransformerLens's BOOL attention mask do not make the file unreadable.
 */
export function parseSafetensors(bytes: Uint8Array, ignore: readonly string[] = []): SafetensorsFile {
  if (bytes.length < 8) throw new ModelFormatError(`file is ${bytes.length} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) {
    throw new ModelFormatError(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file (truncated or not safetensors)`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) throw new ModelFormatError(`header length ${headerLen} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const n = Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new ModelFormatError('header is not valid UTF-8 JSON (not a safetensors file?)');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ModelFormatError('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(entry);
      continue;
    }
    if (ignore.includes(name)) continue;
    tensors.set(name, parseTensor(name, entry, bytes, dataStart, dataLen));
  }
  return { tensors, metadata };
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

function parseTensor(name: string, entry: unknown, bytes: Uint8Array, dataStart: number, dataLen: number): RawTensor {
  if (typeof entry !== 'object' || entry === null) throw new ModelFormatError(`tensor ${name}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (dtype !== 'F32') throw new ModelFormatError(`tensor ${name}: dtype ${JSON.stringify(dtype)} is not supported (only F32)`);
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new ModelFormatError(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new ModelFormatError(`tensor ${name}: data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end < begin || end > dataLen) throw new ModelFormatError(`tensor ${name}: data_offsets [${begin}, ${end}] lie outside the ${dataLen}-byte data section (truncated file?)`);
  if (end - begin !== count * 4) throw new ModelFormatError(`tensor ${name}: shape [${shape.join(', ')}] needs ${count * 4} bytes but data_offsets give ${end - begin}`);
  // Read through a DataView at the tensor's own offset: it needs no alignment and works for a Node Buffer too, whose
  // .buffer is a larger shared ArrayBuffer (and whose .slice is a view, not a copy).
  const data = new Float32Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, end - begin);
  for (let i = 0; i < count; i++) data[i] = dv.getFloat32(4 * i, true);
  return { dtype, shape: shape as number[], data };
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
