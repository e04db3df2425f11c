import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import { jsonShape } from '../../checker/json.js';
import { MAX_JSON_DEPTH, MAX_JSON_VALUES, MAX_NUMBER_CHARS } from '../../checker/limits.js';
import { printedReason } from '../../checker/verdict.js';
import { bruteForceCertificate, cubicCertificate, encode, tinyModel } from './helpers.js';

const t = tinyModel('solver', 3, 5, 2);
const { cert: cubic, count } = cubicCertificate(t);
type Cert = ReturnType<typeof structuredClone<typeof cubic>> & Record<string, unknown>;

const verdict = async (f: (c: Cert) => void, bytes = t.bytes) => {
  const c = structuredClone(cubic) as Cert;
  f(c);
  const v = await checkCertificate(encode(c), bytes);
  return v.verified ? 'verified' : `${v.error.step ?? '-'} ${v.error.rule}: ${v.error.message}`;
};

describe('checkCertificate', () => {
  it('verifies a valid certificate and reports the claim, the bound and the hashes', async () => {
    const bytes = encode(cubic);
    const v = await checkCertificate(bytes, t.bytes);
    if (!v.verified) throw new Error(v.error.message);
    expect(v.claim).toEqual(cubic.claim);
    expect(v.counted).toBe(count.toString());
    expect(BigInt(v.bound.numerator) * 125n).toBe(count * BigInt(v.bound.denominator));
    expect(v.bound.decimal).toMatch(/^0\.\d{10}$/);
    expect(v.modelSha256).toBe(t.exact.sha256);
    expect(v.certificateSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(v.certificateBytes).toBe(bytes.length);
    expect(BigInt(v.checkerOps)).toBeGreaterThan(0n);
  });

  it('accepts gzip with the same certificate hash as the JSON text', async () => {
    const plain = await checkCertificate(encode(cubic), t.bytes);
    const gz = await checkCertificate(gzipSync(encode(cubic)), t.bytes);
    expect(gz.verified).toBe(true);
    expect(gz.certificateSha256).toBe(plain.certificateSha256);
  });

  it('rejects a gzip bomb at the decompressed-size limit', async () => {
    const member = gzipSync(new Uint8Array(1 << 20));
    const bomb = new Uint8Array(member.length * 257);
    for (let i = 0; i < 257; i++) bomb.set(member, i * member.length);
    const v = await checkCertificate(bomb, t.bytes);
    expect(v.verified ? 'verified' : v.error.rule).toBe('limits');
  });

  it('binds the claim to the model file', async () => {
    expect(await verdict((c) => { c.claim.modelSha256 = '0'.repeat(64); })).toMatch(/claim: claim.modelSha256 0+ is not the model file's SHA-256/);
    const other = tinyModel('solver', 3, 5, 3);
    expect(await verdict(() => {}, other.bytes)).toMatch(/- claim:/);
    expect(await verdict((c) => { c.claim.total = '124'; })).toMatch(/is not V\^K = 125/);
    const wrongK = tinyModel('solver', 2, 5, 2);
    expect(await verdict((c) => { c.claim.modelSha256 = wrongK.exact.sha256; }, wrongK.bytes)).toMatch(/claim has K=3, V=5; the model has K=2, V=5/);
  });

  it('rejects JSON numbers for rationals, unknown fields, wrong types and other formats before reading steps', async () => {
    expect(await verdict((c) => { (c.evidence.steps[0] as Record<string, unknown>).lo = 17; })).toMatch(/schema: \/evidence\/steps\/0\/lo must be string/);
    // Every JSON number is an integer of at most 15 digits: JSON.parse would read 0.17 as a rounded double.
    expect(await verdict((c) => { (c.evidence.steps[0] as Record<string, unknown>).lo = 0.17; })).toMatch(/json: certificate number 0.17 is not written as an integer/);
    expect(await verdict((c) => { c.extra = 1; })).toMatch(/schema: \/ must NOT have additional properties/);
    expect(await verdict((c) => { (c.evidence.steps[3] as Record<string, unknown>).hint = 'x'; })).toMatch(/schema/);
    expect(await verdict((c) => { (c.claim as Record<string, unknown>).correct = 5; })).toMatch(/schema/);
    expect(await verdict((c) => { c.claim.modelSha256 = c.claim.modelSha256.toUpperCase(); })).toMatch(/schema/);
    expect(await verdict((c) => { (c.evidence.steps[0] as Record<string, unknown>).kind = 'softmax'; })).toMatch(/schema/);
    expect(await verdict((c) => { (c as Record<string, unknown>).format = 'mechcert/2'; c.extra = 1; })).toMatch(/- format: unsupported format "mechcert\/2"/);
    expect(await verdict((c) => { (c as Record<string, unknown>).format = 'mechcert/1.3'; })).toMatch(/schema/);
  });

  it('resolves references explicitly: existing, earlier, of the right kind', async () => {
    expect(await verdict((c) => { (c.evidence.steps[3] as Record<string, unknown>).expE = 'nope'; })).toMatch(/count reference: expE cites "nope", which is not a step/);
    expect(await verdict((c) => { (c.evidence.steps[3] as Record<string, unknown>).expE = 'scale'; })).toMatch(/a step of kind inv-sqrt-scale, not exp-table/);
    expect(await verdict((c) => { const s = c.evidence.steps; [s[0], s[1]] = [s[1], s[0]]; })).toMatch(/expE reference: scale cites "scale", which is not an earlier step/);
    expect(await verdict((c) => { (c.evidence.steps[2] as Record<string, unknown>).id = 'expE'; })).toMatch(/duplicate step id "expE"/);
    expect(await verdict((c) => { (c.evidence.steps[3] as Record<string, unknown>).expE = 'count'; })).toMatch(/not an earlier step/);
  });

  it('requires exactly one count step, last, matching the claimed strategy', async () => {
    expect(await verdict((c) => { c.evidence.steps.pop(); })).toMatch(/count-step: exactly one count step/);
    expect(await verdict((c) => { c.evidence.steps.push(c.evidence.steps[1]); })).toMatch(/count-step|duplicate/);
    expect(await verdict((c) => { c.evidence.steps.splice(0, 0, { ...c.evidence.steps[3], id: 'first' }); })).toMatch(/count-step/);
    expect(await verdict((c) => { c.claim.strategy = 'brute-force' as never; })).toMatch(/does not match the count step kind cubic-count/);
  });

  it('never verifies more than it proves; a trivial certificate proves 0', async () => {
    expect(await verdict((c) => { c.claim.correct = (count + 1n).toString(); })).toMatch(/count count: claimed correct .* exceeds the .* sequences proved/);
    const trivial = structuredClone(cubic) as Cert;
    (trivial.evidence.steps[3] as { cases: unknown[] }).cases = [];
    trivial.claim.correct = '0';
    const v = await checkCertificate(encode(trivial), t.bytes);
    expect(v.verified && v.counted).toBe('0');
    trivial.claim.correct = '1';
    expect((await checkCertificate(encode(trivial), t.bytes)).verified).toBe(false);
  });

  it('enforces its limits', async () => {
    expect((await checkCertificate(new TextEncoder().encode('['.repeat(100000)), t.bytes)).verified ? '' : 'limits').toBe('limits');
    const deep = await checkCertificate(new TextEncoder().encode(`${'['.repeat(17)}${']'.repeat(17)}`), t.bytes);
    expect(deep.verified ? '' : deep.error.rule).toBe('limits');
    expect(await verdict((c) => { (c.evidence.steps[0] as Record<string, unknown>).lo = `0.${'1'.repeat(MAX_NUMBER_CHARS)}`; })).toMatch(`schema: /evidence/steps/0/lo must NOT have more than ${MAX_NUMBER_CHARS} characters`);
    const bad = await checkCertificate(encode(cubic), t.bytes, { threads: 0 });
    expect(bad.verified ? '' : bad.error.rule).toBe('options');
  });

  it('never throws: random bytes, random JSON and truncations are rejections', async () => {
    const text = JSON.stringify(bruteForceCertificate(t, 0n));
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.json().map((s) => new TextEncoder().encode(s)),
        fc.integer({ min: 0, max: text.length - 1 }).map((n) => new TextEncoder().encode(text.slice(0, n))),
      ),
      async (bytes) => {
        const v = await checkCertificate(bytes, t.bytes);
        expect(v.verified).toBe(false);
      },
    ), { numRuns: 300, seed: 20261124 });
    const v = await checkCertificate(encode(cubic), new Uint8Array([1, 2, 3]));
    expect(v.verified ? '' : v.error.rule).toBe('claim');
  });
});

describe('the JSON pre-scan and printed reasons', () => {
  it('stops at the first limit passed, keeping nothing more (255 MiB of `[` once took gigabytes)', () => {
    expect(jsonShape('['.repeat(1e7)).depth).toBe(MAX_JSON_DEPTH + 1);
    expect(jsonShape(`[${'0,'.repeat(MAX_JSON_VALUES + 10)}0]`).values).toBe(MAX_JSON_VALUES + 1);
  });

  it('finds the first number not written as an integer of at most 15 digits, outside strings only', () => {
    const cases: Record<string, string | null> = {
      '[1,23,-4,0,-725]': null, '[123456789012345,-123456789012345]': null, '{"a":"4.5","b\\"1.5":[7]}': null,
      '[4.0]': '4.0', '[4e0]': '4e0', '[4E+0]': '4E+0', '[-0]': '-0', '[1234567890123456]': '1234567890123456', '[1,2.5,3.5]': '2.5',
    };
    for (const [text, first] of Object.entries(cases)) expect(jsonShape(text).inexactNumber, text).toBe(first);
  });

  it('cuts a reason at 1000 characters after escaping, never inside an escape', () => {
    for (let pad = 0; pad < 12; pad++) {
      const r = printedReason(`${'x'.repeat(pad)}${'\u200b'.repeat(400)}`);
      expect([...r].length).toBeLessThanOrEqual(1000);
      expect(r).toMatch(/^x*(\\u\{200b\})+…$/);
    }
  });
});
