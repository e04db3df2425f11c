/**
 * The prover's command line on hostile input, through the built CLI: a model "file" that is a FIFO, a device or too
 * large is refused in one line with exit 2 (it must not hang or fill memory); text from a model header, a file name or
 * a command-line argument reaches the terminal only through the checker's printable (no ESC, bidirectional or
 * line-separator character): in errors, in eval's text and `--json` output (which stays strict JSON) and in report's
 * and main's lines; and a header's dtype that names a property of Object.prototype is refused as unsupported.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printable } from 'mechcert-checker/verdict';
import { MAX_MODEL_BYTES } from 'mechcert-checker/limits';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeModel } from '../../src/model/model.js';
import { randomModel } from '../model/random-model.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mechcert-hostile-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VALID = serializeModel(randomModel({ k: 3, vocab: 5, dModel: 4, dHead: 2 }, 3));
const ESC = '\u001b';
const RLO = '\u202e';
const LS = '\u2028';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs bin/mechcert.js in the test's folder; a run that would hang is killed after 20 s and reported as timed out. */
function mechcert(...args: string[]): Run {
  const r = spawnSync(process.execPath, [join(root, 'bin/mechcert.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined || r.signal !== null };
}

/** The run finished, and neither stream holds a character printable would escape (line breaks aside). */
function expectFinishedAndPrintable(r: Run): void {
  expect(r.timedOut, 'the command did not finish within 20 s').toBe(false);
  for (const text of [r.stdout, r.stderr]) {
    for (const c of [ESC, RLO, LS]) expect(text).not.toContain(c);
    for (const line of text.split('\n')) expect(line).toBe(printable(line));
  }
}

/** A user error: finished, printable, nothing on stdout, one line on stderr without a stack trace, exit code 2. */
function expectOneLineRefusal(r: Run, message: string | RegExp): void {
  expectFinishedAndPrintable(r);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^[^\n]+\n$/);
  expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
  if (typeof message === 'string') expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** The valid model with its JSON header edited (the tensor data unchanged, so only the edit is wrong). */
function withHeader(edit: (header: Record<string, Record<string, unknown>>) => void): Uint8Array {
  const view = new DataView(VALID.buffer, VALID.byteOffset, VALID.byteLength);
  const length = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(VALID.subarray(8, 8 + length))) as Record<string, Record<string, unknown>>;
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const data = VALID.subarray(8 + length);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function renameTensor(header: Record<string, unknown>, from: string, to: string): void {
  header[to] = header[from];
  delete header[from];
}

describe('model files that are not regular files, or too large, are refused at once (exit 2)', () => {
  const fifo = join(dir, 'model.fifo');
  execFileSync('mkfifo', [fifo]);
  const fifoMessage = `model ${JSON.stringify(fifo)} is a FIFO, not a regular file`;

  it('eval: a FIFO (opening it would wait for a writer)', () => {
    expectOneLineRefusal(mechcert('eval', fifo), fifoMessage);
  });

  it('eval: /dev/zero (it never ends)', () => {
    expectOneLineRefusal(mechcert('eval', '/dev/zero'), 'model "/dev/zero" is a character device, not a regular file');
  });

  it('eval: a file over the checker\'s model size limit, refused before it is read', () => {
    const big = join(dir, 'big.safetensors');
    writeFileSync(big, '');
    truncateSync(big, MAX_MODEL_BYTES + 1);
    expectOneLineRefusal(mechcert('eval', big), `model ${JSON.stringify(big)} is ${MAX_MODEL_BYTES + 1} bytes, over the limit of ${MAX_MODEL_BYTES}`);
  });

  it('eval: a missing file', () => {
    const missing = join(dir, 'missing.safetensors');
    expectOneLineRefusal(mechcert('eval', missing), `cannot read model ${JSON.stringify(missing)}: ENOENT`);
  });

  it('prove: a FIFO', () => {
    expectOneLineRefusal(mechcert('prove', fifo, '--strategy', 'cubic', '--out', join(dir, 'cubic.json')), fifoMessage);
  });

  it('report: a FIFO', () => {
    expectOneLineRefusal(mechcert('report', fifo, '--strategies', 'cubic', '--out', join(dir, 'report'), '--cache', join(dir, 'cache')), fifoMessage);
  });

  it('main: a FIFO', () => {
    expectOneLineRefusal(mechcert('main', '--model', fifo, '--strategies', 'cubic', '--out', join(dir, 'main')), fifoMessage);
  });
});

describe('untrusted text is printed escaped', () => {
  it('a tensor name from the model header', () => {
    const path = write('tensor-name.safetensors', withHeader((h) => renameTensor(h, 'unembed.W_U', `unembed.W_U${ESC}[2J${RLO}`)));
    expectOneLineRefusal(mechcert('eval', path), `unexpected tensor unembed.W_U\\u{1b}[2J\\u{202e}`);
  });

  it('a metadata value (k)', () => {
    const path = write('meta-k.safetensors', withHeader((h) => { h.__metadata__.k = `${ESC}[2J${ESC}[31mFAKE${RLO}`; }));
    expectOneLineRefusal(mechcert('eval', path), '__metadata__.k = \\u{1b}[2J\\u{1b}[31mFAKE\\u{202e} disagrees');
  });

  it('a metadata value (task), with a line separator', () => {
    const path = write('meta-task.safetensors', withHeader((h) => { h.__metadata__.task = `x${RLO}y${LS}z`; }));
    expectOneLineRefusal(mechcert('eval', path), 'unsupported task "x\\u{202e}y\\u{2028}z"');
  });

  it('a metadata key', () => {
    const path = write('meta-key.safetensors', withHeader((h) => { h.__metadata__[`${ESC}[2Jkey${RLO}`] = 1; }));
    expectOneLineRefusal(mechcert('eval', path), '__metadata__.\\u{1b}[2Jkey\\u{202e} is not a string');
  });

  it('the model file name, in eval\'s text and --json output', () => {
    const path = write(`m${ESC}[2J${RLO}${LS}.safetensors`, VALID);
    const text = mechcert('eval', path);
    expectFinishedAndPrintable(text);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`model     ${printable(path)}\n`);
    const json = mechcert('eval', path, '--json');
    expectFinishedAndPrintable(json);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { model: string }).model).toBe(printable(path));
    const uniform = mechcert('eval', path, '--json', '--method', 'uniform', '--samples', '10');
    expectFinishedAndPrintable(uniform);
    expect((JSON.parse(uniform.stdout) as { model: string }).model).toBe(printable(path));
  });

  it('model labels (file names) in report\'s and main\'s progress and summary', () => {
    const hostile = write(`r${ESC}[2J${RLO}${LS}.safetensors`, VALID);
    const plain = write('plain.safetensors', serializeModel(randomModel({ k: 3, vocab: 5, dModel: 4, dHead: 2 }, 4)));
    const report = mechcert('report', hostile, plain, '--strategies', 'cubic', '--out', join(dir, 'labels-report'), '--cache', join(dir, 'labels-cache'), '--no-png');
    expectFinishedAndPrintable(report);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stderr).toContain(printable('r\u001b[2J\u202e\u2028 cubic'));
    const main = mechcert('main', '--model', hostile, '--strategies', 'cubic', '--out', join(dir, 'labels-main'));
    expectFinishedAndPrintable(main);
    expect(main.code, main.stderr).toBe(0);
    expect(main.stderr).toContain(`mechcert: ${printable(hostile)}, K=3, V=5`);
  });

  it('the name of a missing model file', () => {
    expectOneLineRefusal(mechcert('eval', `/nonexistent${ESC}[31m${RLO}`), 'cannot read model "/nonexistent\\u001b[31m\\u{202e}": ENOENT');
  });

  it('an unknown command and an unknown option (commander\'s own errors)', () => {
    expectOneLineRefusal(mechcert(`${ESC}[31mchek${RLO}`), `error: unknown command '\\u{1b}[31mchek\\u{202e}'`);
    expectOneLineRefusal(mechcert(`--${ESC}[2Jx${LS}`), `error: unknown option '--\\u{1b}[2Jx\\u{2028}'`);
    expectOneLineRefusal(mechcert('eval', join(dir, 'any.safetensors'), `--${ESC}[2Jx`), `error: unknown option '--\\u{1b}[2Jx'`);
  });

  it('--method and --backend values', () => {
    expectOneLineRefusal(mechcert('eval', join(dir, 'any.safetensors'), '--method', `${RLO}x`), '--method must be one of exhaustive, stratified, uniform (got "\\u{202e}x")');
    expectOneLineRefusal(mechcert('eval', join(dir, 'any.safetensors'), '--backend', `${RLO}x${ESC}`), '--backend must be one of cpu, webgpu, auto (got "\\u{202e}x\\u001b")');
  });
});

describe('a dtype that names a property of Object.prototype is an unsupported dtype', () => {
  for (const dtype of ['toString', '__proto__', 'constructor']) {
    it(dtype, () => {
      const path = write(`dtype-${dtype}.safetensors`, withHeader((h) => { h['unembed.W_U'].dtype = dtype; }));
      const r = mechcert('eval', path);
      expectOneLineRefusal(r, `tensor unembed.W_U: dtype "${dtype}" is not supported (only F32, and BOOL or U8 for the attention mask)`);
      expect(r.stderr).not.toContain('NaN');
    });
  }
});
