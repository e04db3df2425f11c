import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModel, readModel, serializeModel, TENSOR_NAMES, writeModel, type Model } from '../../src/model/model.js';
import { parseSafetensors, serializeSafetensors, type RawTensor } from '../../src/model/safetensors.js';
import { randomModel, withRandomBiases } from './random-model.js';

const dir = mkdtempSync(join(tmpdir(), 'mechcert-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WEIGHTS = Object.keys(TENSOR_NAMES) as Array<keyof typeof TENSOR_NAMES>;

function expectSameWeights(a: Omit<Model, 'sha256'>, b: Omit<Model, 'sha256'>): void {
  expect(b.config).toEqual(a.config);
  // Bit-for-bit: compare the bytes, not the values.
  for (const w of WEIGHTS) expect(Buffer.from(b[w].buffer, b[w].byteOffset, b[w].byteLength)).toEqual(Buffer.from(a[w].buffer, a[w].byteOffset, a[w].byteLength));
}

describe('model file round trip', () => {
  const original = randomModel({ k: 3, vocab: 5, dModel: 4, dHead: 2 }, 11);
  // Weights that must survive exactly: signed zero, subnormal, extremes of float32.
  original.WE.set([-0, 1.4e-45, 3.4028234663852886e38, -1.1754943508222875e-38]);

  it('writeModel then readModel gives the same weights, config and metadata', () => {
    const path = join(dir, 'roundtrip.safetensors');
    writeModel(path, original);
    const back = readModel(path);
    expectSameWeights(original, back);
    expect(back.metadata).toMatchObject({ seed: '11', task: 'max-of-k', k: '3', vocab: '5', d_model: '4', d_head: '2', n_heads: '1' });
  });

  it('the SHA-256 is the one of the file bytes, and writeModel returns it', () => {
    const path = join(dir, 'hash.safetensors');
    const returned = writeModel(path, original);
    const fileHash = createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(returned).toBe(fileHash);
    expect(readModel(path).sha256).toBe(fileHash);
    expect(parseModel(serializeModel(original)).sha256).toBe(fileHash);
  });

  it('parses a Node Buffer that sits at an offset inside a larger ArrayBuffer (as readFileSync may return)', () => {
    const bytes = serializeModel(original);
    const backing = new Uint8Array(bytes.length + 7);
    backing.set(bytes, 3);
    expectSameWeights(original, parseModel(Buffer.from(backing.buffer, 3, bytes.length)));
  });

  it("reads a TransformerLens state_dict export: zero biases, the BOOL mask and the -inf IGNORE buffer", () => {
    const { k, dModel: d, dHead: h, vocab } = original.config;
    const f32 = (data: Float32Array) => new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    const entries: Array<[string, string, number[], Uint8Array]> = [
      ...WEIGHTS.map((w): [string, string, number[], Uint8Array] => {
        const shapes = { WE: [vocab, d], Wpos: [k, d], WQ: [1, d, h], WK: [1, d, h], WV: [1, d, h], WO: [1, h, d], WU: [d, vocab] };
        return [TENSOR_NAMES[w], 'F32', shapes[w], f32(original[w])];
      }),
      ['blocks.0.attn.b_Q', 'F32', [1, h], f32(new Float32Array(h))],
      ['blocks.0.attn.b_O', 'F32', [d], f32(new Float32Array(d))],
      ['unembed.b_U', 'F32', [vocab], f32(new Float32Array(vocab))],
      ['blocks.0.attn.mask', 'BOOL', [k, k], Uint8Array.from({ length: k * k }, (_, i) => (i % k <= Math.floor(i / k) ? 1 : 0))],
      ['blocks.0.attn.IGNORE', 'F32', [], f32(Float32Array.from([-Infinity]))],
    ];
    const header: Record<string, unknown> = {};
    let offset = 0;
    for (const [name, dtype, shape, data] of entries) {
      header[name] = { dtype, shape, data_offsets: [offset, offset + data.length] };
      offset += data.length;
    }
    const json = new TextEncoder().encode(JSON.stringify(header));
    const bytes = new Uint8Array(8 + json.length + offset);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    let pos = 8 + json.length;
    for (const [, , , data] of entries) {
      bytes.set(data, pos);
      pos += data.length;
    }
    expectSameWeights(original, parseModel(bytes));
  });

  it('a model with biases keeps them bit for bit, in TransformerLens shapes; all-zero biases read as none', () => {
    const biased = withRandomBiases(original, 5);
    biased.biases!.bK.fill(0); // one zero bias among nonzero ones is still stored
    const bytes = serializeModel(biased);
    const shapes = Object.fromEntries([...parseSafetensors(bytes).tensors].filter(([n]) => /\.b_/.test(n)).map(([n, t]) => [n, t.shape]));
    expect(shapes).toEqual({ 'blocks.0.attn.b_Q': [1, 2], 'blocks.0.attn.b_K': [1, 2], 'blocks.0.attn.b_V': [1, 2], 'blocks.0.attn.b_O': [4], 'unembed.b_U': [5] });
    const back = parseModel(bytes);
    expectSameWeights(biased, back);
    expect(back.biases).toEqual(biased.biases);
    // A file whose biases are all zero (±0) is the paper's model: no biases, and the bytes of a model written without.
    const zero = { ...biased, biases: { ...biased.biases!, bQ: new Float32Array(2), bK: Float32Array.from([-0, 0]), bV: new Float32Array(2), bO: new Float32Array(4), bU: new Float32Array(5) } };
    const plain = parseModel(serializeModel(zero));
    expect(plain.biases).toBeUndefined();
    expect(Buffer.from(serializeModel(plain)).equals(Buffer.from(serializeModel(original)))).toBe(true);
  });

  it('serializeSafetensors then parseSafetensors keeps names, shapes, data and metadata', () => {
    const tensors = new Map<string, RawTensor>([
      ['b', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, -0, 1e-30]) }],
      ['a.scalar', { dtype: 'F32', shape: [], data: Float32Array.from([7]) }],
      ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const metadata = { note: 'ünïcode "quoted"', k: '3' };
    const bytes = serializeSafetensors(tensors, metadata);
    // The data section starts 8-byte aligned.
    expect((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8).toBe(0);
    const back = parseSafetensors(bytes);
    expect(back.metadata).toEqual(metadata);
    expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      expect(back.tensors.get(name)?.shape).toEqual(t.shape);
      expect(Object.is(back.tensors.get(name)?.data[4], t.data[4])).toBe(true);
      expect(back.tensors.get(name)?.data).toEqual(t.data);
    }
  });
});
