import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { canonicalJson, certificateBytes } from '../../src/prove/certificate.js';
import { cubicCertificate } from '../../src/prove/cubic.js';
import { bruteForceCertificate } from '../../src/prove/brute-force.js';
import { buildModel } from './models.js';

describe('canonical certificates', () => {
  it('canonicalJson sorts keys at every level and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ z: 'x', y: null }, true], c: undefined })).toBe('{"a":[{"y":null,"z":"x"},true],"b":1}');
    expect(() => canonicalJson({ x: NaN })).toThrow();
  });

  it('the same model and strategy give the same bytes (raw and gzip)', async () => {
    const spec = { kind: 'solver', vocab: 6, k: 3, dModel: 6, dHead: 3, seed: 5, scale: 0.05 } as const;
    const a = buildModel(spec);
    const b = buildModel(spec);
    const c1 = certificateBytes(cubicCertificate(a.model).certificate);
    const c2 = certificateBytes(cubicCertificate(b.model).certificate);
    expect(Buffer.from(c1).equals(Buffer.from(c2))).toBe(true);
    const g1 = certificateBytes(cubicCertificate(a.model).certificate, true);
    const g2 = certificateBytes(cubicCertificate(b.model).certificate, true);
    expect(Buffer.from(g1).equals(Buffer.from(g2))).toBe(true);
    expect(Buffer.from(gunzipSync(g1)).equals(Buffer.from(c1))).toBe(true);
    const b1 = certificateBytes((await bruteForceCertificate(a.model, { threads: 1 })).certificate);
    const b2 = certificateBytes((await bruteForceCertificate(b.model, { threads: 2 })).certificate);
    expect(Buffer.from(b1).equals(Buffer.from(b2))).toBe(true);
    const text = new TextDecoder().decode(c1);
    expect(text.endsWith('}\n')).toBe(true);
    expect(/\s/.test(text.slice(0, -1))).toBe(false);
  });
});
