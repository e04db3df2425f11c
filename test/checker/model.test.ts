import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckError } from '../../checker/errors.js';
import { dyadicMatrix, float32ToDyadic, loadExactModel, type Mat } from '../../checker/model.js';
import { Ops } from '../../checker/ops.js';
import { serializeModel } from '../../src/model/model.js';
import { pathTables } from '../../src/model/paths.js';
import { parseModel } from '../../src/model/model.js';
import { randomModel } from '../model/random-model.js';

const bitsOf = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];
const valueOf = ({ mant, e2 }: { mant: number; e2: number }) => mant * 2 ** e2;

describe('float32ToDyadic', () => {
  it('is exact on normals, subnormals, extremes and signed zeros', () => {
    expect(float32ToDyadic(bitsOf(1))).toEqual({ mant: 1, e2: 0 });
    expect(float32ToDyadic(bitsOf(-0.375))).toEqual({ mant: -3, e2: -3 });
    expect(float32ToDyadic(0x00000001)).toEqual({ mant: 1, e2: -149 });
    expect(float32ToDyadic(0x007fffff)).toEqual({ mant: 0x7fffff, e2: -149 });
    expect(float32ToDyadic(0x00800000)).toEqual({ mant: 1, e2: -126 });
    expect(float32ToDyadic(0x7f7fffff)).toEqual({ mant: 0xffffff, e2: 104 });
    expect(float32ToDyadic(0x00000000)).toEqual({ mant: 0, e2: 0 });
    expect(float32ToDyadic(0x80000000)).toEqual({ mant: 0, e2: 0 });
  });

  it('rejects infinities and NaNs', () => {
    for (const b of [0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffffffff]) expect(() => float32ToDyadic(b)).toThrow(CheckError);
  });

  it('equals the float32 value for every finite bit pattern (float64 holds every float32 exactly)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (b) => {
      const f = new Float32Array(new Uint32Array([b]).buffer)[0];
      fc.pre(Number.isFinite(f));
      const d = float32ToDyadic(b);
      expect(valueOf(d)).toBe(f);
      expect(d.mant === 0 || d.mant % 2 !== 0).toBe(true);
    }), { numRuns: 5000, seed: 20261124 });
  });

  it('dyadicMatrix puts a row of mixed magnitudes over one power of two', () => {
    const m = dyadicMatrix(Uint32Array.from([1.5, -0, 2 ** -149, 3 * 2 ** 20].map(bitsOf)), 2, 2);
    expect(m.exp).toBe(149);
    expect(m.num).toEqual([3n << 148n, 0n, 1n, 3n << 169n]);
  });
});

/** A safetensors file with arbitrary entries (dtype, shape, raw bytes), for malformed-model tests. */
function safetensors(entries: Record<string, { dtype: string; shape: number[]; data: Uint8Array }>, extra: Record<string, unknown> = {}): Uint8Array {
  const header: Record<string, unknown> = { ...extra };
  let off = 0;
  for (const [name, e] of Object.entries(entries)) {
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.data.length] };
    off += e.data.length;
  }
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let pos = 8 + h.length;
  for (const e of Object.values(entries)) {
    out.set(e.data, pos);
    pos += e.data.length;
  }
  return out;
}

const f32 = (shape: number[], values?: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const arr = Float32Array.from(values ?? Array.from({ length: n }, (_, i) => ((i * 7) % 5) / 8 - 0.25));
  return { dtype: 'F32', shape, data: new Uint8Array(arr.buffer) };
};

/** The weights of a V=3, K=2, d=2, d_head=2 model, as safetensors entries. */
const weights = () => ({
  'embed.W_E': f32([3, 2]),
  'pos_embed.W_pos': f32([2, 2]),
  'blocks.0.attn.W_Q': f32([1, 2, 2]),
  'blocks.0.attn.W_K': f32([1, 2, 2]),
  'blocks.0.attn.W_V': f32([1, 2, 2]),
  'blocks.0.attn.W_O': f32([1, 2, 2]),
  'unembed.W_U': f32([2, 3]),
});

const load = (bytes: Uint8Array) => {
  try {
    loadExactModel(bytes, new Ops(), '');
    return 'ok';
  } catch (e) {
    if (e instanceof CheckError) return e.message;
    throw e;
  }
};

describe('safetensors parsing', () => {
  it('accepts the TransformerLens layout, zero (±0) biases, and ignores mask/IGNORE buffers and metadata', () => {
    expect(load(safetensors(weights()))).toBe('ok');
    expect(load(safetensors({
      ...weights(),
      'blocks.0.attn.b_Q': f32([1, 2], [0, -0]),
      'unembed.b_U': f32([3], [0, 0, 0]),
      'blocks.0.attn.mask': { dtype: 'BOOL', shape: [2, 2], data: new Uint8Array([1, 0, 1, 1]) },
      'blocks.0.attn.IGNORE': f32([], [-1e5]),
    }, { __metadata__: { task: 'max-of-k' } }))).toBe('ok');
  });

  it('rejects nonzero biases, unknown tensors, other dtypes, several heads, NaN weights and bad shapes', () => {
    expect(load(safetensors({ ...weights(), 'blocks.0.attn.b_O': f32([2], [0, 1e-30]) }))).toMatch(/bias blocks.0.attn.b_O is nonzero/);
    expect(load(safetensors({ ...weights(), 'blocks.0.mlp.W_in': f32([2, 2]) }))).toMatch(/unexpected tensor/);
    expect(load(safetensors({ ...weights(), 'embed.W_E': { dtype: 'F16', shape: [3, 2], data: new Uint8Array(12) } }))).toMatch(/not F32/);
    expect(load(safetensors({ ...weights(), 'blocks.0.attn.W_Q': f32([2, 2, 2]) }))).toMatch(/2 attention heads/);
    expect(load(safetensors({ ...weights(), 'unembed.W_U': f32([2, 3], [0, 0, NaN, 0, 0, 0]) }))).toMatch(/NaN/);
    expect(load(safetensors({ ...weights(), 'unembed.W_U': f32([2, 4]) }))).toMatch(/expected \[2,3\]/);
    expect(load(safetensors({ ...weights(), 'pos_embed.W_pos': f32([1, 2]) }))).toMatch(/outside the checker's limits/);
    const noU: Record<string, ReturnType<typeof f32>> = weights();
    delete noU['unembed.W_U'];
    expect(load(safetensors(noU))).toMatch(/missing tensor unembed.W_U/);
  });

  it('rejects truncated or non-safetensors bytes', () => {
    const good = safetensors(weights());
    expect(load(good.subarray(0, good.length - 1))).toMatch(/do not hold/);
    expect(load(good.subarray(0, 5))).toMatch(/too short/);
    expect(load(new TextEncoder().encode('{"hello": "world"}....'))).toMatch(/header length/);
    const bad = good.slice();
    bad[8] = 0xff;
    expect(load(bad)).toMatch(/not UTF-8 JSON/);
  });
});

const toNumber = (A: Mat, i: number) => Number(A.num[i]) / 2 ** A.exp;

describe('exact path matrices', () => {
  it('agree with a float64 computation on tiny random models', () => {
    for (const seed of [1, 2, 3]) {
      const m = randomModel({ k: 3, vocab: 5, dModel: 4, dHead: 3 }, seed);
      const bytes = serializeModel(m);
      const exact = loadExactModel(bytes, new Ops(), '');
      const float = pathTables(parseModel(bytes));
      for (const name of ['EU', 'EVOU', 'PVOU', 'EQKE', 'EQKP'] as const) {
        const A = exact[name];
        expect(A.num.length).toBe(float[name].length);
        A.num.forEach((_, i) => expect(Math.abs(toNumber(A, i) - float[name][i])).toBeLessThan(1e-12));
      }
      expect([exact.k, exact.vocab, exact.dModel, exact.dHead]).toEqual([3, 5, 4, 3]);
    }
  });

  it('are exact where float64 is not: products of extreme magnitudes', () => {
    const m = randomModel({ k: 2, vocab: 2, dModel: 1, dHead: 1 }, 1);
    m.WE.set([1 + 2 ** -23, 2 ** -126]);
    m.Wpos.set([0, 0]);
    m.WU.set([1 + 2 ** -23, 1]);
    const exact = loadExactModel(serializeModel(m), new Ops(), '');
    // EU[0,0] = (1 + 2^−23)^2 = 1 + 2^−22 + 2^−46 exactly.
    expect(exact.EU.num[0] * 2n ** 46n / 2n ** BigInt(exact.EU.exp)).toBe(2n ** 46n + 2n ** 24n + 1n);
  });
});
