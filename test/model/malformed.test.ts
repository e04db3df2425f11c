/**
 * Malformed and unsupported model files given to the CLI: each must end in exactly one line on stderr that names the
 * defect, nothing on stdout, no stack trace, and exit code 2. The files are built here from a valid tiny model.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it, type ExpectStatic } from 'vitest';
import { serializeModel, TENSOR_NAMES } from '../../src/model/model.js';
import { parseSafetensors, serializeSafetensors, type RawTensor } from '../../src/model/safetensors.js';
import { Rng } from '../../src/train/rng.js';
import { randomModel } from './random-model.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mechcert-malformed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = { k: 3, vocab: 5, dModel: 4, dHead: 2 };
const VALID = serializeModel(randomModel(CONFIG, 3));

/** The valid model's tensors and metadata, to edit and re-serialize. */
function validParts(): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  return parseSafetensors(VALID);
}

function fromParts(edit: (tensors: Map<string, RawTensor>) => void): Uint8Array {
  const { tensors, metadata } = validParts();
  edit(tensors);
  return serializeSafetensors(tensors, metadata);
}

function f32(shape: number[], fill = 0.1): RawTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'F32', shape, data: new Float32Array(n).fill(fill) };
}

/** A safetensors file with a hand-written header (for dtypes serializeSafetensors does not write). */
function rawFile(header: Record<string, unknown>, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/** Runs `mechcert eval <path>`; the tests run concurrently, since each mostly waits for node and tsx to start. */
function runEval(path: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/mechcert.js', 'eval', path], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

/** Writes `bytes` (or nothing, for null) as `name` in the temporary folder and asserts the CLI's one-line refusal. */
async function expectRefusal(expect: ExpectStatic, name: string, bytes: Uint8Array | null, message: RegExp): Promise<void> {
  const path = join(dir, name);
  if (bytes !== null) writeFileSync(path, bytes);
  const r = await runEval(path);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^mechcert: [^\n]+\n$/);
  expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
  expect(r.stderr).toContain(path);
  expect(r.stderr).toMatch(message);
  expect(r.status).toBe(2);
}

describe.concurrent('mechcert eval refuses malformed model files with one line and exit code 2', () => {
  it('accepts the valid base model (control)', async ({ expect }) => {
    const path = join(dir, 'valid.safetensors');
    writeFileSync(path, VALID);
    const r = await runEval(path);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/exhaustive/);
    expect(r.status).toBe(0);
  });

  it('random bytes', async ({ expect }) => {
    const rng = new Rng(1n);
    await expectRefusal(expect, 'random.safetensors', Uint8Array.from({ length: 4096 }, () => rng.uniformInt(256)), /header length .* past the end/);
  });

  it('empty file', async ({ expect }) => {
    await expectRefusal(expect, 'empty.safetensors', new Uint8Array(0), /0 bytes, too short/);
  });

  it('header that is not JSON', async ({ expect }) => {
    const bytes = new Uint8Array(8 + 16).fill(0x7b);
    new DataView(bytes.buffer).setBigUint64(0, 16n, true);
    await expectRefusal(expect, 'not-json.safetensors', bytes, /header is not valid UTF-8 JSON/);
  });

  it('truncated file', async ({ expect }) => {
    await expectRefusal(expect, 'truncated.safetensors', VALID.subarray(0, VALID.length - 10), /data_offsets .* outside the .*data section/);
  });

  it('header length past the end of the file', async ({ expect }) => {
    const bytes = VALID.slice();
    new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length), true);
    await expectRefusal(expect, 'header-length.safetensors', bytes, /header length \d+ runs past the end/);
  });

  it('wrong dtype (F16)', async ({ expect }) => {
    const header: Record<string, unknown> = {};
    let offset = 0;
    for (const [name, t] of validParts().tensors) {
      header[name] = { dtype: 'F16', shape: t.shape, data_offsets: [offset, offset + 2 * t.data.length] };
      offset += 2 * t.data.length;
    }
    await expectRefusal(expect, 'f16.safetensors', rawFile(header, offset), /dtype "F16" is not supported \(only F32, and BOOL or U8 for the attention mask\)/);
  });

  it('wrong shape (W_Q without its head dimension)', async ({ expect }) => {
    const bytes = fromParts((t) => t.set(TENSOR_NAMES.WQ, f32([CONFIG.dModel, CONFIG.dHead])));
    await expectRefusal(expect, 'wrong-rank.safetensors', bytes, /blocks\.0\.attn\.W_Q: shape \[4, 2\] should have 3 dimensions/);
  });

  it('inconsistent shapes (W_U with one output too many)', async ({ expect }) => {
    const bytes = fromParts((t) => t.set(TENSOR_NAMES.WU, f32([CONFIG.dModel, CONFIG.vocab + 1])));
    await expectRefusal(expect, 'inconsistent.safetensors', bytes, /unembed\.W_U: shape \[4, 6\] is inconsistent with V=5/);
  });

  it('NaN weight', async ({ expect }) => {
    const bytes = fromParts((t) => { t.get(TENSOR_NAMES.WE)!.data[3] = NaN; });
    await expectRefusal(expect, 'nan.safetensors', bytes, /embed\.W_E: entry 3 is NaN/);
  });

  it('infinite weight', async ({ expect }) => {
    const bytes = fromParts((t) => { t.get(TENSOR_NAMES.WO)!.data[0] = -Infinity; });
    await expectRefusal(expect, 'inf.safetensors', bytes, /W_O: entry 0 is -Infinity/);
  });

  it('missing tensor', async ({ expect }) => {
    const bytes = fromParts((t) => t.delete(TENSOR_NAMES.WU));
    await expectRefusal(expect, 'missing-tensor.safetensors', bytes, /missing tensor unembed\.W_U/);
  });

  it('unsupported architecture: 2 attention heads', async ({ expect }) => {
    const { dModel: d, dHead: h } = CONFIG;
    const bytes = fromParts((t) => {
      for (const name of [TENSOR_NAMES.WQ, TENSOR_NAMES.WK, TENSOR_NAMES.WV]) t.set(name, f32([2, d, h]));
      t.set(TENSOR_NAMES.WO, f32([2, h, d]));
    });
    await expectRefusal(expect, 'two-heads.safetensors', bytes, /unsupported architecture: 2 attention heads/);
  });

  it('unsupported architecture: an MLP tensor', async ({ expect }) => {
    const bytes = fromParts((t) => t.set('blocks.0.mlp.W_in', f32([CONFIG.dModel, 4 * CONFIG.dModel])));
    await expectRefusal(expect, 'mlp.safetensors', bytes, /unsupported architecture: unexpected tensor blocks\.0\.mlp\.W_in/);
  });

  it('unsupported architecture: LayerNorm', async ({ expect }) => {
    const bytes = fromParts((t) => t.set('ln_final.w', f32([CONFIG.dModel], 1)));
    await expectRefusal(expect, 'layernorm.safetensors', bytes, /unsupported architecture: unexpected tensor ln_final\.w/);
  });

  it('unsupported architecture: a second layer', async ({ expect }) => {
    const bytes = fromParts((t) => t.set('blocks.1.attn.W_Q', f32([1, CONFIG.dModel, CONFIG.dHead])));
    await expectRefusal(expect, 'two-layers.safetensors', bytes, /unsupported architecture: unexpected tensor blocks\.1\.attn\.W_Q/);
  });

  it('a bias of the wrong shape (b_Q without its head dimension)', async ({ expect }) => {
    const bytes = fromParts((t) => t.set('blocks.0.attn.b_Q', f32([CONFIG.dHead], 0.25)));
    await expectRefusal(expect, 'bias-shape.safetensors', bytes, /tensor blocks\.0\.attn\.b_Q: shape \[2\] is inconsistent .*expected \[1, 2\]/);
  });

  it('missing file', async ({ expect }) => {
    await expectRefusal(expect, 'does-not-exist.safetensors', null, /cannot read model "[^"]*does-not-exist\.safetensors": ENOENT/);
  });
});
