/**
 * Hostile inputs through the real CLI (`node bin/mechcert-check.js`): every byte string given as a certificate or a
 * model ends in exit 1 (rejected, with a `rule:` and a one-line `reason:`), exit 2 (usage or I/O, one line on
 * stderr) or exit 3 (not decided here: a limit of the checker), in bounded time, never a stack trace. One test per limit of checker/limits.ts (SPEC §5).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MAX_CERTIFICATE_FILE_BYTES, MAX_CERTIFICATE_JSON_BYTES, MAX_JSON_DEPTH, MAX_JSON_VALUES, MAX_MODEL_BYTES,
  MAX_MODEL_HEADER_BYTES, MAX_NUMBER_CHARS, MAX_STEPS, MAX_THREADS, MAX_VOCAB,
} from '../../checker/limits.js';

const root = join(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures');
const model = join(fixtures, 'models/checker-solver-k3-v5.safetensors');
const modelBytes = readFileSync(model);
type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const valid = JSON.parse(readFileSync(join(fixtures, 'pass/checker-cubic-solver-k3-v5.json'), 'utf8')) as J;
const dir = mkdtempSync(join(tmpdir(), 'mechcert-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const file = (data: string | Uint8Array): string => {
  const p = join(dir, `in-${n++}`);
  writeFileSync(p, data);
  return p;
};
const variant = (f: (c: J) => void) => {
  const c = structuredClone(valid);
  f(c);
  return JSON.stringify(c);
};

interface Run { code: number; stdout: string; stderr: string; ms: number }
const cli = (args: string[]): Promise<Run> => new Promise((resolve) => {
  const t0 = performance.now();
  execFile(process.execPath, [join(root, 'bin/mechcert-check.js'), ...args], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
    const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
    resolve({ code, stdout, stderr, ms: performance.now() - t0 });
  });
});

/**
 * Runs the CLI and asserts a clean rejection (exit 1, the rule, one reason line), usage error (exit 2, one line) or
 * stop at a limit (exit 3, `NOT DECIDED`, the rule, one reason line).
 */
async function expectClean(args: string[], code: 1 | 2 | 3, rule?: RegExp) {
  const r = await cli(args);
  const out = r.stdout + r.stderr;
  expect(out).not.toMatch(/\n\s+at |Error: .*\n.*node:|FATAL|Aborted|heap out of memory/);
  expect(r.code, out).toBe(code);
  if (code !== 2) {
    expect(r.stdout).toMatch(code === 1 ? /^NOT VERIFIED\n/ : /^NOT DECIDED /);
    expect(r.stdout).toMatch(/\nreason: {6}[^\n]+\n/);
    if (rule) expect(r.stdout.match(/\nrule: +(\S+)/)?.[1]).toMatch(rule);
  } else {
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^mechcert-check: /);
  }
  return r;
}
const cert = (data: string | Uint8Array, code: 1 | 2 | 3, rule?: RegExp) => expectClean([file(data), '--model', model], code, rule);
/** A model file and a certificate that claims its SHA-256, so the checker reaches the model parser. */
const hostileModel = (bytes: Uint8Array, rule: RegExp = /^model$/) => {
  const sha = createHash('sha256').update(bytes).digest('hex');
  return expectClean([file(variant((c) => { c.claim.modelSha256 = sha; })), '--model', file(bytes)], 1, rule);
};
const header = (h: unknown, tail = new Uint8Array(0)) => {
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + tail.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(tail, 8 + json.length);
  return out;
};

describe('hostile certificates (CLI)', { timeout: 60_000 }, () => {
  it('empty file', () => cert('', 1, /^json$/));
  it('random bytes', () => {
    let s = 12345;
    const bytes = Uint8Array.from({ length: 65536 }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
    return cert(bytes, 1, /^json$/);
  });
  it('truncated JSON', () => { const t = JSON.stringify(valid); return cert(t.slice(0, t.length - 7), 1, /^json$/); });
  it(`nesting a million deep (limit ${MAX_JSON_DEPTH}), checked before JSON.parse`, () => cert(`${'['.repeat(1e6)}${']'.repeat(1e6)}`, 3, /^limits$/));
  it('nesting a million deep, unbalanced and inside the certificate', () =>
    cert(JSON.stringify(valid).replace('"prover":', `"x":${'{"a":'.repeat(1e6)}`), 3, /^limits$/));
  it('brackets inside strings do not count as nesting (a free-form prover string may hold them)', async () => {
    const r = await cli([file(variant((c) => { c.prover.note = `"[{\\${'['.repeat(1e5)}`; })), '--model', model]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
  it('a number with millions of digits', () => cert(JSON.stringify(valid).replace('"k":3', `"k":${'9'.repeat(3e6)}`), 1, /^schema$/));
  it(`a rational with millions of digits (limit ${MAX_NUMBER_CHARS} characters)`, () =>
    cert(variant((c) => { c.evidence.steps[0].lo = `0.${'1'.repeat(3e6)}`; }), 1, /^(schema|inv-sqrt-scale)$/));
  it(`a huge array (limit ${MAX_JSON_VALUES} elements, checked before JSON.parse)`, () =>
    cert(`{"a":[${'0,'.repeat(MAX_JSON_VALUES)}0]}`, 3, /^limits$/));
  it('a large array within the element limit is rejected by the schema or its rule', () =>
    cert(variant((c) => { c.evidence.steps[1].shift = new Array(1e6).fill(0); }), 1, /^(schema|exp-table)$/));
  it(`more than ${MAX_STEPS} steps`, () =>
    cert(variant((c) => { c.evidence.steps = Array.from({ length: MAX_STEPS + 1 }, (_, i) => ({ ...c.evidence.steps[0], id: `s${i}` })); }), 1, /^(schema|limits)$/));
  it('another major version', () => cert(variant((c) => { c.format = 'mechcert/2'; c.whatever = [1, 2]; }), 1, /^format$/));
  it('a certificate for another model', async () => {
    const other = join(fixtures, 'models/prover-solver-k4-v6.safetensors');
    await expectClean([file(JSON.stringify(valid)), '--model', other], 1, /^claim$/);
  });
  it(`a gzip bomb (1 GiB of zeros; limit ${MAX_CERTIFICATE_JSON_BYTES} bytes after gunzip)`, () => {
    // 16 gzip members of 64 MiB of zeros each (gunzip reads concatenated members as one stream).
    const member = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
    return cert(Buffer.concat(Array.from({ length: 16 }, () => member)), 3, /^limits$/);
  });
  it('truncated and corrupt gzip is reported as gzip corruption', async () => {
    const gz = gzipSync(JSON.stringify(valid));
    const truncated = await cert(gz.subarray(0, gz.length >> 1), 1, /^gzip$/);
    expect(truncated.stdout).toMatch(/reason: +gzip certificate is corrupt: unexpected end of file/);
    const bad = Buffer.from(gz);
    bad[20] ^= 0xff;
    await cert(bad, 1, /^gzip$/);
    const crc = Buffer.from(gz);
    crc[crc.length - 6] ^= 1;
    expect((await cert(crc, 1, /^gzip$/)).stdout).toMatch(/incorrect data check/);
    expect((await cert(Buffer.concat([gz, Buffer.from('trailing garbage')]), 1, /^gzip$/)).stdout).toMatch(/incorrect header check/);
  });
  it(`a certificate file over ${MAX_CERTIFICATE_FILE_BYTES} bytes (sparse)`, () => {
    const p = file('');
    truncateSync(p, MAX_CERTIFICATE_FILE_BYTES + 1);
    return expectClean([p, '--model', model], 2);
  });
  it('NUL bytes and control characters', async () => {
    await cert(new Uint8Array([0x7b, 0, 0, 0x7d]), 1, /^json$/);
    await cert(JSON.stringify(valid).replace('"prover":{', '"prover":{"x":"a\u0001b",'), 1, /^json$/);
  });
  it('a JSON prototype key', () => cert(JSON.stringify(valid).replace('"prover":', '"__proto__":{"verified":true},"prover":'), 1, /^schema$/));
  it('usage and I/O errors', async () => {
    await expectClean([join(dir, 'missing.json'), '--model', model], 2);
    await expectClean([dir, '--model', model], 2);
    await expectClean([file(JSON.stringify(valid)), '--model', model, '--threads', '0'], 2);
    await expectClean([file(JSON.stringify(valid)), '--model', model, '--threads', String(MAX_THREADS + 1)], 2);
    await expectClean([file(JSON.stringify(valid))], 2);
  });
});

describe('hostile models (CLI)', { timeout: 60_000 }, () => {
  it('random bytes as the model (SHA-256 mismatch, then the parser itself)', async () => {
    let s = 99;
    const bytes = Uint8Array.from({ length: 4096 }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
    await expectClean([file(JSON.stringify(valid)), '--model', file(bytes)], 1, /^claim$/);
    await hostileModel(bytes);
  });
  it('an empty model and a model shorter than its header', async () => {
    await hostileModel(new Uint8Array(0));
    await hostileModel(header({ a: 1 }).subarray(0, 12));
  });
  it(`a header length of 2^64 − 1 and one over ${MAX_MODEL_HEADER_BYTES} bytes`, async () => {
    const b = new Uint8Array(64);
    new DataView(b.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    await hostileModel(b);
    await hostileModel(header({ pad: 'x'.repeat(MAX_MODEL_HEADER_BYTES) }));
  });
  it('a header nested a million deep (depth checked before JSON.parse)', () => {
    const json = new TextEncoder().encode(`${'['.repeat(5e5)}${']'.repeat(5e5)}`);
    const out = new Uint8Array(8 + json.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return hostileModel(out);
  });
  it(`shapes over the limits (V ≤ ${MAX_VOCAB}) and tensors outside the file`, async () => {
    const t = (shape: number[], begin = 0, end = 0) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
    await hostileModel(header({ 'embed.W_E': t([1e9, 1e9]) }));
    await hostileModel(header({ 'embed.W_E': t([2 ** 40, 4], 0, 2 ** 44) }));
    await hostileModel(header({ 'embed.W_E': t([MAX_VOCAB + 1, 1], 0, 4 * (MAX_VOCAB + 1)) }, new Uint8Array(4 * (MAX_VOCAB + 1))));
    await hostileModel(header({ 'embed.W_E': { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)));
  });
  it('NaN weights', () => {
    const bytes = new Uint8Array(modelBytes);
    const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    new DataView(bytes.buffer).setUint32(8 + len + 4, 0x7fc00000, true);
    return hostileModel(bytes);
  });
  it(`a model file over ${MAX_MODEL_BYTES} bytes (sparse)`, () => {
    const p = file('');
    truncateSync(p, MAX_MODEL_BYTES + 1);
    return expectClean([file(JSON.stringify(valid)), '--model', p], 2);
  });
});

