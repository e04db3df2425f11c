/**
 * Hostile inputs through the real CLI (`node bin/mechcert-check.js`): every byte string given as a certificate or a
 * model ends in exit 1 (rejected, with a `rule:` and a one-line `reason:`), exit 2 (usage or I/O, one line on
 * stderr) or exit 3 (not decided here: a limit of the checker), in bounded time, never a stack trace. One test per limit of checker/limits.ts (SPEC §5).
 */
import { execFile, spawnSync } from 'node:child_process';
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
import { loadExactModel } from '../../checker/model.js';
import { Ops } from '../../checker/ops.js';
import { mulCost, pathWork } from '../../checker/work.js';
import { wideModel } from './work-hostile.js';

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
const hostileModel = (bytes: Uint8Array, rule: RegExp = /^model$/, exit: 1 | 3 = 1) => {
  const sha = createHash('sha256').update(bytes).digest('hex');
  return expectClean([file(variant((c) => { c.claim.modelSha256 = sha; })), '--model', file(bytes)], exit, rule);
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
  it('a number with millions of digits (refused before JSON.parse rounds it)', () =>
    cert(JSON.stringify(valid).replace('"k":3', `"k":${'9'.repeat(3e6)}`), 1, /^json$/));
  it(`a rational with millions of digits (limit ${MAX_NUMBER_CHARS} characters)`, () =>
    cert(variant((c) => { c.evidence.steps[0].lo = `0.${'1'.repeat(3e6)}`; }), 1, /^(schema|inv-sqrt-scale)$/));
  it(`a huge array (limit ${MAX_JSON_VALUES} elements, checked before JSON.parse)`, () =>
    cert(`{"a":[${'0,'.repeat(MAX_JSON_VALUES)}0]}`, 3, /^limits$/));
  it('a large array within the element limit is rejected by the schema or its rule', () =>
    cert(variant((c) => { c.evidence.steps[1].shift = new Array(1e6).fill(0); }), 1, /^(schema|exp-table)$/));
  it(`more than ${MAX_STEPS} steps`, () =>
    cert(variant((c) => { c.evidence.steps = Array.from({ length: MAX_STEPS + 1 }, (_, i) => ({ ...c.evidence.steps[0], id: `s${i}` })); }), 3, /^limits$/));
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

/** Every character an output may not hold raw: controls, format and invisible characters, separators but the space. */
const RAW_UNPRINTABLE = /(?![ \n])[\p{C}\p{DI}\p{Z}]/u;

describe('the second hostile review (CLI)', { timeout: 60_000 }, () => {
  const gz = gzipSync(JSON.stringify(valid));
  it('bytes after the gzip member: a zero byte first (zlib takes it for padding and stops reading), or another member', async () => {
    const unread = await cert(Buffer.concat([gz, Buffer.from('\0 unread: {"claim":{"correct":"125"}}')]), 1, /^gzip$/);
    expect(unread.stdout).toMatch(/reason: +gzip certificate is corrupt: 37 bytes after the first member: one gzip member is read/);
    await cert(Buffer.concat([gz, Buffer.alloc(4096)]), 1, /^gzip$/);
    // Two members, each a part of the text: one member is read, as in the browser (DecompressionStream).
    const text = JSON.stringify(valid);
    await cert(Buffer.concat([gzipSync(text.slice(0, 100)), gzipSync(text.slice(100))]), 1, /^gzip$/);
    await cert(Buffer.concat([gzipSync(''), gz]), 1, /^gzip$/);
  });
  it('gzip inside gzip is named as such', async () => {
    expect((await cert(gzipSync(gz), 1, /^gzip$/)).stdout).toMatch(/decompresses to gzip data/);
  });
  it('a number JSON.parse would round is refused, wherever it stands', async () => {
    const text = JSON.stringify(valid);
    for (const [from, to] of [['"k":3', '"k":2.9999999999999999'], ['"k":3', '"k":3.0'], ['"k":3', '"k":3e0'], ['"fracBits":40', '"fracBits":40.000000000000001'],
      ['"k":3', '"k":-0'], ['"vocab":5', '"vocab":5000000000000000001']]) {
      expect(text).toContain(from);
      expect((await cert(text.replace(from, to), 1, /^json$/)).stdout).toMatch(/certificate number \S+ is not written as an integer of at most 15 digits/);
    }
  });
  it(`a count string beyond ${MAX_NUMBER_CHARS} characters is refused by the schema before any arithmetic`, async () => {
    const huge = await cert(variant((c) => { c.claim.correct = '9'.repeat(1e7); }), 1, /^schema$/);
    expect(huge.stdout).toMatch(/\/claim\/correct must NOT have more than 256 characters/);
  });
  it(`a bitmask of ${MAX_NUMBER_CHARS} hex digits (a V = ${MAX_VOCAB} mask's length) is read; one more is refused`, async () => {
    const c1 = (c: J) => c.evidence.steps[3].cases.find((x: J) => x.good !== undefined) as J;
    const at = (n: number) => variant((c) => { c1(c).good = c1(c).good.padStart(n, '0'); });
    expect(MAX_NUMBER_CHARS).toBeGreaterThanOrEqual(MAX_VOCAB / 4);
    const r = await cli([file(at(MAX_NUMBER_CHARS)), '--model', model]);
    expect(r.code, r.stdout).toBe(0);
    await cert(at(MAX_NUMBER_CHARS + 1), 1, /^schema$/);
  });
  it('invisible and format characters are escaped in text and --json (soft hyphen, Mongolian vowel separator, tags, U+206A, U+FFF9)', async () => {
    const key = 'A\u00adB\u180eC\u206aD\u206fE\ufff9F\u{e0041}G\u{e0001}H\u034fI\u3164J\u00a0K';
    const p = file(JSON.stringify(valid).replace('"prover":{', `"prover":{${JSON.stringify(key)}:1,`));
    const text = await expectClean([p, '--model', model], 1, /^schema$/);
    expect(text.stdout).not.toMatch(RAW_UNPRINTABLE);
    expect(text.stdout).toContain('A\\u{ad}B\\u{180e}C\\u{206a}D\\u{206f}E\\u{fff9}F\\u{e0041}G\\u{e0001}H\\u{34f}I\\u{3164}J K'); // white space folds into one space (oneLine)
    const json = await cli([p, '--model', model, '--json']);
    expect(json.stdout).not.toMatch(RAW_UNPRINTABLE);
    expect(JSON.parse(json.stdout).error.message).toContain('A\\u{ad}B');
  });
  it('a reason stays within 1000 characters after escaping', async () => {
    const key = '\u202e'.repeat(5000);
    const p = file(JSON.stringify(valid).replace('"prover":{', `"prover":{"${key}":1,`));
    const r = await expectClean([p, '--model', model], 1, /^schema$/);
    const reason = /\nreason: +([^\n]*)\n/.exec(r.stdout)![1];
    expect([...reason].length).toBeLessThanOrEqual(1000);
    expect(reason).toMatch(/^\/prover\/(\\u\{202e\})+…$/);
    expect([...JSON.parse((await cli([p, '--model', model, '--json'])).stdout).error.message].length).toBeLessThanOrEqual(1000);
  });
  it('--json gives one JSON object on a usage or I/O error too (status "error", exit 2)', async () => {
    const missing = await cli([join(dir, 'missing.json'), '--model', model, '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ status: 'error', verified: false, error: { step: null, rule: 'input' } });
    const usage = await cli([file(JSON.stringify(valid)), '--model', model, '--json', '--threads', '0']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({ status: 'error', error: { rule: 'usage', message: '--threads must be an integer from 1 to 64, got "0"' } });
  });
  it('flags: a repeated --model, a value on a flag that takes none, and -- before the operand', async () => {
    const p = file(JSON.stringify(valid));
    expect((await expectClean([p, '--model', join(dir, 'missing'), '--model', model], 2)).stderr).toMatch(/--model is given twice/);
    expect((await expectClean([p, '--model', model, '--json=false'], 2)).stderr).toMatch(/--json takes no value/);
    expect((await expectClean([p, '--model', model, '--json', '--json'], 2)).stderr).toMatch(/--json is given twice/);
    // A model file named --json is not the flag: the usage error is text only.
    expect((await expectClean([p, '--model', '--json', '--threads', '0'], 2)).stdout).toBe('');
    expect((await cli(['--model', model, '--', p])).code).toBe(0);
  });
  it('an output that cannot be written (a full disk, a closed pipe) is an I/O error: exit 2, one line, no stack trace', () => {
    const bin = join(root, 'bin/mechcert-check.js');
    const p = file(JSON.stringify(valid));
    const full = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" "${p}" --model "${model}" > /dev/full`], { encoding: 'utf8', timeout: 30_000 });
    expect(full.status).toBe(2);
    expect(full.stderr).toBe('mechcert-check: cannot write the output: ENOSPC\n');
    const pipe = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" "${p}" --model "${model}" | (exit 0); echo "exit \${PIPESTATUS[0]}" >&2`], { encoding: 'utf8', timeout: 30_000 });
    expect(pipe.stderr).toBe('mechcert-check: cannot write the output: EPIPE\nexit 2\n');
  });
  it(`steps, shapes and a header beyond the limits are not decided here (exit 3), not rejections`, async () => {
    await cert(variant((c) => { c.evidence.steps = Array.from({ length: MAX_STEPS + 1 }, (_, i) => ({ ...c.evidence.steps[0], id: `s${i}` })); }), 3, /^limits$/);
    const t = (shape: number[], at: number) => ({ dtype: 'F32', shape, data_offsets: [4 * at, 4 * (at + shape.reduce((a, b) => a * b, 1))] });
    const V = MAX_VOCAB + 1;
    const wide = header({
      'embed.W_E': t([V, 1], 0), 'pos_embed.W_pos': t([3, 1], V), 'blocks.0.attn.W_Q': t([1, 1, 1], V + 3), 'blocks.0.attn.W_K': t([1, 1, 1], V + 4),
      'blocks.0.attn.W_V': t([1, 1, 1], V + 5), 'blocks.0.attn.W_O': t([1, 1, 1], V + 6), 'unembed.W_U': t([1, V], V + 7),
    }, new Uint8Array(4 * (2 * V + 7)));
    const r = await hostileModel(wide, /^limits$/, 3);
    expect(r.stdout).toMatch(/shapes V=1025, K=3, d_model=1, d_head=1 are outside the checker's limits/);
  });
});

describe('the work budget (CLI)', { timeout: 60_000 }, () => {
  /** The estimate the first step that estimates its work reports, run with a budget of one operation. */
  const estimate = async (args: string[]) => {
    const r = await expectClean([...args, '--max-work', '1'], 3);
    return Number(/needs about ([0-9.e+]+) exact operations/.exec(r.stdout)![1]);
  };
  it('is one budget for all the steps: steps that fit one by one are stopped together', async () => {
    const one = await estimate([file(JSON.stringify(valid)), '--model', model]);
    const copies = variant((c) => {
      const [scale, expE, ...rest] = c.evidence.steps;
      c.evidence.steps = [scale, ...['a', 'b', 'c'].map((id) => ({ ...expE, id })), expE, ...rest];
    });
    const r = await expectClean([file(copies), '--model', model, '--max-work', String(Math.floor(2.5 * one))], 3, /^exp-table$/);
    expect(r.stdout).toMatch(/step: +c\n/);
    expect(r.stdout).toMatch(/an exp table over EQKE needs about .* exact operations, with .* estimated for the steps before it: above the work limit/);
  });
  it('weighs operations by the size of their numbers: weights spread from 2^−140 to 2^120 make every numerator long', async () => {
    // Formed, EQKE of this model would take many minutes; by its shape alone it is within the limit.
    const { cert: c, model: m } = wideModel();
    const r = await expectClean([file(c), '--model', file(m)], 3, /^exp-table$/);
    expect(r.stdout).toMatch(/step: +expE\n/);
    expect(r.stdout).toMatch(/an exp table over EQKE needs about [0-9.]+e\+9 exact operations: above the work limit/);
    const { vocab, k, dModel, dHead, bits } = loadExactModel(m, new Ops(), ''); // its shape only: paths are formed on use
    expect(bits).toBeGreaterThanOrEqual(261); // 2^120 over the power of two of 2^−140: a 261-bit numerator
    expect(pathWork({ vocab, k, dModel, dHead, bits }, 'EQKE')).toBe(5 * pathWork({ vocab, k, dModel, dHead, bits: 50 }, 'EQKE'));
    expect([mulCost(256, 256), mulCost(512, 512), mulCost(1024, 1024), mulCost(2048, 2048)]).toEqual([1, 4, 16, 64]);
  });
  it('weighs an exponential by the size of e^y: a grid far from z = 0 costs more than one near it', async () => {
    const grid = (base: number) => variant((c) => {
      c.claim.strategy = 'brute-force';
      c.evidence.steps = [c.evidence.steps[0], { id: 'grid', kind: 'exp-grid', scale: 'scale', base, stepBits: 16, fracBits: 0, hi: new Array(1000).fill('1') },
        { id: 'count', kind: 'brute-force-count', expE: 'scale', expP: 'scale' }];
    });
    const near = await estimate([file(grid(-1000)), '--model', model]);
    const far = await estimate([file(grid(-(2 ** 28))), '--model', model]); // z ≈ −4096: e^y has about 6000 bits
    expect(far).toBeGreaterThanOrEqual(100 * near);
  });
  it('an object of more than 4096 members is not read (its keys would be kept to find repeats)', async () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `"k${i}":"x"`).join(',');
    await cert(JSON.stringify(valid).replace('"prover":{', `"prover":{${keys},`), 3, /^limits$/);
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
    await hostileModel(header({ pad: 'x'.repeat(MAX_MODEL_HEADER_BYTES) }), /^limits$/, 3);
  });
  it('a header nested a million deep (depth checked before JSON.parse)', () => {
    const json = new TextEncoder().encode(`${'['.repeat(5e5)}${']'.repeat(5e5)}`);
    const out = new Uint8Array(8 + json.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return hostileModel(out, /^limits$/, 3);
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

