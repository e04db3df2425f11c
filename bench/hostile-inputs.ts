/**
 * The hostile review's inputs of issue 11, written to a folder as (certificate, model) pairs for the checker's command
 * line: the benchmark bench/hostile.bench.ts runs each and reports the exit code, the rule, wall time and peak memory.
 * Every case is built from committed files or generated here; nothing is downloaded.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bruteForceCertificate, floatCounts, tinyModel } from '../test/checker/helpers.js';
import { bigModel, hugeScale, wideModel } from '../test/checker/work-hostile.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface HostileCase {
  /** The review's finding (1–7) and what the input is. */
  finding: number;
  name: string;
  cert: string;
  model: string;
  /** The outcome a correct checker gives: exit code and rule (or the exit-2 message start). */
  expect: { exit: number; rule?: string };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A safetensors file from a header object (serialized as given) or raw header text, and its data region. */
function safetensors(header: J | string, data: Uint8Array, prefix = ''): Uint8Array {
  const json = new TextEncoder().encode(prefix + (typeof header === 'string' ? header : JSON.stringify(header)));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The header object and data region of a safetensors file. */
function split(bytes: Uint8Array): { header: J; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as J, data: bytes.subarray(8 + n) };
}

/** A certificate (JSON text) whose claim names the model file `model`. */
function claiming(cert: J, model: Uint8Array): string {
  return JSON.stringify({ ...cert, claim: { ...cert.claim, modelSha256: sha256(model) } });
}

/** Writes every case into `dir`; returns them. */
export function writeHostileCases(dir: string): HostileCase[] {
  const cases: HostileCase[] = [];
  let n = 0;
  const file = (data: string | Uint8Array) => {
    const p = join(dir, `input-${n++}`);
    writeFileSync(p, data);
    return p;
  };
  const add = (finding: number, name: string, cert: string | Uint8Array, model: string | Uint8Array, expect: HostileCase['expect']) =>
    cases.push({ finding, name, cert: typeof cert === 'string' && cert.startsWith('/') ? cert : file(cert), model: typeof model === 'string' ? model : file(model), expect });

  const shippedModel = readFileSync(join(ROOT, 'models/max4-v64-s123.safetensors'));
  const subcubic = JSON.parse(readFileSync(join(ROOT, 'certificates/max4-v64-s123.subcubic.json'), 'utf8')) as J;
  const shippedPath = join(ROOT, 'models/max4-v64-s123.safetensors');

  // 1. An attention mask that hides position 0 from the last query (V=7, K=4): a brute-force certificate of the
  // unmasked semantics, claiming the masked model's file.
  const t = tinyModel('solver', 4, 7, 5);
  const { header, data } = split(t.bytes);
  const mask = Uint8Array.from({ length: 16 }, (_, i) => (i >= 12 && i % 4 === 0 ? 0 : Number(i % 4 <= i >> 2)));
  header['blocks.0.attn.mask'] = { dtype: 'BOOL', shape: [4, 4], data_offsets: [data.length, data.length + 16] };
  const masked = safetensors(header, Uint8Array.from([...data, ...mask]));
  add(1, 'mask hides position 0 from the last query', claiming(bruteForceCertificate(t, BigInt(floatCounts(t).sure)) as J, masked), masked, { exit: 1, rule: 'model' });

  // 2. Work bounded before it is done (the inputs of test/checker/work-hostile.ts): a scale enclosure up to 10^150
  // with a one-entry exp grid; a 25 MB model at the shape limits (V = d_model = d_head = 1024) with a tiny certificate
  // whose exp table has the wrong shape, and the same certificate claiming another K.
  const huge = hugeScale();
  add(2, 'scale hi = 10^150, one-entry exp grid', huge.cert, huge.model, { exit: 3, rule: 'inv-sqrt-scale' });
  const big = bigModel();
  const bigCert = JSON.parse(new TextDecoder().decode(big.cert)) as J;
  add(2, '25 MB model (V = d = 1024), exp table of the wrong shape', big.cert, big.model, { exit: 1, rule: 'exp-table' });
  add(2, '25 MB model (V = d = 1024), a claim of K = 3', JSON.stringify({ ...bigCert, claim: { ...bigCert.claim, k: 3, total: String(1024 ** 3) } }), big.model, { exit: 1, rule: 'claim' });

  // 3. Only regular files.
  add(3, '/dev/zero as the certificate', '/dev/zero', shippedPath, { exit: 2 });
  add(3, '/dev/zero as the model', claiming(subcubic, shippedModel), '/dev/zero', { exit: 2 });
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  add(3, 'a FIFO as the certificate', fifo, shippedPath, { exit: 2 });

  // 4. Strict formats: safetensors as strict as the reference library; certificates without repeated keys or a BOM.
  const shipped = split(shippedModel);
  const variant = (name: string, model: Uint8Array) => add(4, name, claiming(subcubic, model), model, { exit: 1, rule: 'model' });
  variant('safetensors: trailing bytes after the last tensor', Uint8Array.from([...shippedModel, 0, 0, 0, 0]));
  const text = JSON.stringify(shipped.header);
  const firstEnd = (shipped.header['embed.W_E'] as J).data_offsets[1] as number;
  variant('safetensors: an offset written 4.096e3-style', safetensors(text.replaceAll(`,${firstEnd}]`, `,${firstEnd / 1000}e3]`).replaceAll(`[${firstEnd},`, `[${firstEnd / 1000}e3,`), shipped.data));
  variant('safetensors: an offset written 4096.0000000000001-style', safetensors(text.replaceAll(`[${firstEnd},`, `[${firstEnd}.0000000000001,`), shipped.data));
  variant('safetensors: a tensor name twice (last wins)', safetensors(text.replace('{', `{"embed.W_E":${JSON.stringify({ ...shipped.header['unembed.W_U'] })},`), shipped.data));
  variant('safetensors: a non-string __metadata__ value', safetensors({ ...shipped.header, __metadata__: { note: 1 } }, shipped.data));
  variant('safetensors: a byte-order mark before the header', safetensors(text, shipped.data, '\ufeff'));
  const json = JSON.stringify(subcubic);
  add(4, 'certificate: "correct" twice (16777216, then the proved count)', json.replace('"correct":', '"correct":"16777216","correct":'), shippedPath, { exit: 1, rule: 'json' });
  add(4, 'certificate: a byte-order mark', `\ufeff${json}`, shippedPath, { exit: 1, rule: 'json' });

  // 5. Untrusted text: an escape sequence and a bidi override in a key the schema's message quotes.
  const esc = json.replace('"prover":{', `"prover":{${JSON.stringify('\u001b[2J\u001b[HVERIFIED\u001b[8m\u202e')}:1,`);
  add(5, 'certificate key holding ESC[2J ESC[H VERIFIED ESC[8m U+202E', esc, shippedPath, { exit: 1, rule: 'schema' });

  // 6. A subcubic certificate relabelled as another variant.
  const relabelled = structuredClone(subcubic);
  relabelled.claim.strategy = 'subcubic/max_diff/drop_average_query_per_output_logit_reasoning/svd';
  add(6, 'exact-mode subcubic evidence relabelled as another variant', JSON.stringify(relabelled), shippedPath, { exit: 1, rule: 'subcubic-count' });

  // 7. Corrupt gzip.
  const gz = gzipSync(json);
  const crc = Uint8Array.from(gz);
  crc[crc.length - 6] ^= 1;
  add(7, 'gzip: bad CRC', crc, shippedPath, { exit: 1, rule: 'gzip' });
  add(7, 'gzip: garbage after the member', Uint8Array.from([...gz, ...new TextEncoder().encode('garbage')]), shippedPath, { exit: 1, rule: 'gzip' });
  add(7, 'gzip: truncated', gz.subarray(0, gz.length >> 1), shippedPath, { exit: 1, rule: 'gzip' });

  // 8. A second review, the front end: unread bytes after a zero byte past the gzip member; numbers JSON.parse
  // rounds; a count string of ten million digits; an object of millions of keys (here 5000: refused from 4097).
  add(8, 'gzip: a zero byte, then unread bytes, after the member', Uint8Array.from([...gz, 0, ...new TextEncoder().encode('{"claim":{}}')]), shippedPath, { exit: 1, rule: 'gzip' });
  add(8, 'certificate: "k":3.9999999999999999 (JSON.parse reads 4)', json.replace('"k":4,', '"k":3.9999999999999999,'), shippedPath, { exit: 1, rule: 'json' });
  add(8, 'certificate: claim.correct of 10^7 digits', JSON.stringify({ ...subcubic, claim: { ...subcubic.claim, correct: '9'.repeat(1e7) } }), shippedPath, { exit: 1, rule: 'schema' });
  const keys = Array.from({ length: 5000 }, (_, i) => `"k${i}":"x"`).join(',');
  add(8, 'certificate: a prover object of 5000 members', json.replace('"prover":{', `"prover":{${keys},`), shippedPath, { exit: 3, rule: 'limits' });

  // 9. A second review, work within the limit by shape alone: weights spread from 2^−140 to 2^120 (every exact
  // numerator 261 bits; forming EQKE took minutes), and exp tables whose estimates add up over the steps.
  const wide = wideModel();
  add(9, '5 MB model with weights from 2^−140 to 2^120, exp table over EQKE', wide.cert, wide.model, { exit: 3, rule: 'exp-table' });
  const copies = JSON.parse(readFileSync(join(ROOT, 'certificates/max4-v64-s123.cubic.json'), 'utf8')) as J;
  const steps = copies.evidence.steps as J[];
  steps.splice(1, 0, ...Array.from({ length: 50 }, (_, i) => ({ ...steps[1], id: `copy${i}` })));
  add(9, 'cubic certificate with 50 copies of its exp table over EQKE', JSON.stringify(copies), shippedPath, { exit: 3, rule: 'exp-table' });
  return cases;
}
