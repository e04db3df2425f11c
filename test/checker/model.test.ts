import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import { CheckError } from '../../checker/errors.js';
import { dyadicMatrix, float32ToDyadic, loadExactModel, type Mat } from '../../checker/model.js';
import { Ops } from '../../checker/ops.js';
import { serializeModel } from '../../src/model/model.js';
import { pathTables } from '../../src/model/paths.js';
import { ModelFormatError, parseModel } from '../../src/model/model.js';
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

  it('rejects biases of the wrong shape, unknown tensors, other dtypes, several heads, NaN weights and bad shapes', () => {
    expect(load(safetensors({ ...weights(), 'blocks.0.attn.b_O': f32([2], [0, 1e-30]) }))).toBe('ok');
    expect(load(safetensors({ ...weights(), 'blocks.0.attn.b_O': f32([3]) }))).toMatch(/tensor blocks.0.attn.b_O has shape \[3\], expected \[2\]/);
    expect(load(safetensors({ ...weights(), 'blocks.0.attn.b_Q': f32([2]) }))).toMatch(/b_Q has shape \[2\], expected 2 dimensions/);
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
    bad[9] = 0xff;
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

/** A header rewritten as text (for what JSON.stringify cannot write: number spellings, repeated keys, a BOM). */
function withHeader(bytes: Uint8Array, edit: (json: string) => string, prefix: number[] = []): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const h = Uint8Array.from([...prefix, ...new TextEncoder().encode(edit(new TextDecoder().decode(bytes.subarray(8, 8 + n))))]);
  const out = new Uint8Array(8 + h.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(bytes.subarray(8 + n), 8 + h.length);
  return out;
}

describe('attention mask and IGNORE (SPEC §1)', () => {
  const k2 = (data: number[], dtype = 'BOOL', shape = [2, 2]) => ({ 'blocks.0.attn.mask': { dtype, shape, data: Uint8Array.from(data) } });

  it('accepts a BOOL or U8 [K,K] mask whose last row is all true, and an F32 scalar IGNORE of any value', () => {
    for (const data of [[1, 0, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1]]) expect(load(safetensors({ ...weights(), ...k2(data) }))).toBe('ok');
    expect(load(safetensors({ ...weights(), ...k2([1, 0, 1, 1], 'U8') }))).toBe('ok');
    for (const v of [-Infinity, NaN, -1e5]) expect(load(safetensors({ ...weights(), 'blocks.0.attn.IGNORE': f32([], [v]) }))).toBe('ok');
  });

  it('refuses a mask that hides a position from the last query, or of another dtype, shape or byte value', () => {
    expect(load(safetensors({ ...weights(), ...k2([1, 0, 0, 1]) }))).toMatch(/hides key position\(s\) 0 from the last query/);
    expect(load(safetensors({ ...weights(), ...k2([1, 0, 1, 0], 'U8') }))).toMatch(/hides key position\(s\) 1 from the last query/);
    expect(load(safetensors({ ...weights(), ...k2([1, 0, 2, 1]) }))).toMatch(/byte other than 0 or 1/);
    expect(load(safetensors({ ...weights(), ...k2([1, 0, 1, 1, 1, 1, 1, 1, 1], 'BOOL', [3, 3]) }))).toMatch(/shape \[3,3\], expected \[2,2\]/);
    expect(load(safetensors({ ...weights(), ...k2([1, 0, 1, 1], 'BOOL', [4]) }))).toMatch(/shape \[4\], expected \[2,2\]/);
    expect(load(safetensors({ ...weights(), ...k2([1, 0, 1, 1], 'I8') }))).toMatch(/dtype "I8" is not BOOL or U8/);
    expect(load(safetensors({ ...weights(), 'blocks.0.attn.mask': f32([2, 2], [1, 0, 1, 1]) }))).toMatch(/dtype "F32" is not BOOL or U8/);
    expect(load(safetensors({ ...weights(), 'blocks.0.attn.IGNORE': f32([1], [-1e5]) }))).toMatch(/IGNORE has shape \[1\], expected a scalar/);
    expect(load(safetensors({ ...weights(), 'blocks.0.attn.IGNORE': { dtype: 'F64', shape: [], data: new Uint8Array(8) } }))).toMatch(/dtype "F64" is not F32/);
  });
});

describe('strict safetensors', () => {
  /** W_E of 512×2 float32 is exactly 4096 bytes: its end offset is the 4096 of the hostile review. */
  const wide = () => ({ ...weights(), 'embed.W_E': f32([512, 2]), 'unembed.W_U': f32([2, 512]) });

  it('refuses number literals that are not plain integers, though JSON.parse reads them as integers', () => {
    expect(load(safetensors(wide()))).toBe('ok');
    for (const lit of ['4.096e3', '4096.0000000000001', '4096.0', '4096e0', '40960e-1']) {
      expect(load(withHeader(safetensors(wide()), (s) => s.replace('[0,4096]', `[0,${lit}]`)))).toBe(`safetensors header number ${lit} is not written as an integer of at most 15 digits`);
    }
    expect(load(withHeader(safetensors(weights()), (s) => s.replace('"shape":[3,2]', '"shape":[3.0,2]')))).toMatch(/number 3\.0 is not/);
    expect(load(withHeader(safetensors(weights()), (s) => s.replace('"shape":[3,2]', '"shape":[-0,2]')))).toMatch(/number -0 is not/);
  });

  it('refuses gaps, overlaps and trailing bytes: the tensors tile the data region', () => {
    const good = safetensors(weights());
    const trailing = new Uint8Array(good.length + 4);
    trailing.set(good);
    expect(load(trailing)).toMatch(/4 bytes after the last tensor/);
    const end = 4 * (6 + 4 + 4 * 4 + 6); // W_U, the last tensor, is [end − 24, end)
    const gap = withHeader(trailing, (s) => s.replace(`[${end - 24},${end}]`, `[${end - 20},${end + 4}]`));
    expect(load(gap)).toMatch(/unembed.W_U: data begins at byte 108 of the data region, not at 104/);
    const overlap = withHeader(good, (s) => s.replace(`[${end - 24},${end}]`, `[${end - 28},${end - 4}]`));
    expect(load(overlap.subarray(0, overlap.length - 4))).toMatch(/unembed.W_U: data begins at byte 100 of the data region, not at 104/);
  });

  it('refuses repeated names, a BOM, a header that is not an object, non-string metadata and entries with other keys', () => {
    const good = safetensors(weights());
    expect(load(withHeader(good, (s) => s.replace('"pos_embed.W_pos"', '"embed.W_E"')))).toBe('safetensors header repeats the key "embed.W_E"');
    expect(load(withHeader(good, (s) => s, [0xef, 0xbb, 0xbf]))).toMatch(/byte-order mark/);
    expect(load(withHeader(good, (s) => ` ${s}`))).toMatch(/does not begin with "\{"/);
    expect(load(withHeader(good, () => '[]'))).toMatch(/does not begin with "\{"/);
    expect(load(safetensors(weights(), { __metadata__: { k: 2 } }))).toBe('__metadata__ value "k" is not a string');
    expect(load(safetensors(weights(), { __metadata__: ['k'] }))).toBe('__metadata__ is not a JSON object');
    expect(load(withHeader(good, (s) => s.replace('"dtype":"F32",', '"dtype":"F32","x":"y",')))).toMatch(/exactly dtype, shape and data_offsets/);
    expect(load(withHeader(good, (s) => s.replace('"dtype":"F32",', '')))).toMatch(/exactly dtype, shape and data_offsets/);
  });
});

describe('hostile model corpus (test/fixtures/hostile-models, written by make-hostile-models.ts)', () => {
  const dir = join(import.meta.dirname, '../fixtures/hostile-models');
  const cubic = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/pass/checker-cubic-solver-k3-v5.json'), 'utf8'));
  const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors'));

  it('holds the causal control and the mask that hides position 0 from the last query', () => {
    expect(files).toContain('mask-causal-k4-v7.safetensors');
    expect(files).toContain('neg.-.model.mask-hides-first-from-last.safetensors');
    expect(load(readFileSync(join(dir, 'mask-causal-k4-v7.safetensors')))).toBe('ok');
  });

  for (const f of files.filter((x) => x.startsWith('neg.'))) {
    it(f, async () => {
      const model = readFileSync(join(dir, f));
      // A certificate naming this model, so that the model itself is read (the claim's SHA-256 is checked first).
      const cert = { ...cubic, claim: { ...cubic.claim, modelSha256: createHash('sha256').update(model).digest('hex') } };
      const v = await checkCertificate(new TextEncoder().encode(JSON.stringify(cert)), model);
      expect(v.verified ? null : [v.status, v.error.step ?? '-', v.error.rule]).toEqual(['rejected', '-', 'model']);
      expect(() => parseModel(model)).toThrow(ModelFormatError);
    });
  }
});
