/**
 * The checker as an auditor gets it (issue 11): the package packed with `npm pack`, installed in an empty folder with
 * nothing else, verifies every committed certificate through its installed bin with one and two threads; and the
 * review's hostile cases that concern the command line itself: special files, untrusted text on the terminal and in
 * --json, exit codes, and `mechcert check` printing the same bytes as `mechcert-check`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mechcert-standalone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixtures = join(root, 'test/fixtures');
const model = join(fixtures, 'models/checker-solver-k3-v5.safetensors');
const validText = readFileSync(join(fixtures, 'pass/checker-cubic-solver-k3-v5.json'), 'utf8');

interface Run { code: number | null; out: string; err: string }
const run = (bin: string, args: string[]): Run => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const check = (...args: string[]) => run(join(root, 'bin/mechcert-check.js'), args);
const write = (name: string, data: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

describe('the packed checker, installed alone', { timeout: 600_000 }, () => {
  let installed = '';
  beforeAll(() => {
    // `npm pack` runs the package's prepack (its build); the install reaches no registry: the package has no dependencies.
    const packDir = join(dir, 'pack');
    execFileSync('mkdir', ['-p', packDir]);
    execFileSync('npm', ['pack', '--pack-destination', packDir, '--silent'], { cwd: join(root, 'checker'), stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, npm_config_loglevel: 'error' } });
    const [tarball] = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    installed = join(dir, 'auditor');
    execFileSync('mkdir', ['-p', installed]);
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(packDir, tarball)], { cwd: installed, stdio: ['ignore', 'ignore', 'inherit'] });
  }, 300_000);

  it('installs one package: no TypeScript loader, compiler or schema library', () => {
    const names = readdirSync(join(installed, 'node_modules')).filter((f) => !f.startsWith('.'));
    expect(names).toEqual(['mechcert-checker']);
    const files = readdirSync(join(installed, 'node_modules/mechcert-checker/dist'), { recursive: true }) as string[];
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files).toContain('count-worker.js');
    expect(files).toEqual(expect.arrayContaining(['SPEC.md', 'certificate.schema.json', 'mechcert-check.html']));
  });

  const certificates = readdirSync(join(root, 'certificates')).filter((f) => f.endsWith('.json'));
  it.each(certificates.flatMap((c) => [[c, 1], [c, 2]] as const))('verifies certificates/%s with --threads %i', (cert, threads) => {
    const modelFile = join(root, 'models', `${cert.split('.')[0]}.safetensors`);
    const bin = join(installed, 'node_modules/.bin/mechcert-check');
    const r = spawnSync(bin, [join(root, 'certificates', cert), '--model', modelFile, '--threads', String(threads)], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^VERIFIED\n[\s\S]*\ncite: +mechcert-checker \d+\.\d+\.\d+ verified accuracy ≥ /);
  });
});

describe('only regular files are read', () => {
  it('refuses a character device (/dev/zero reports size 0 and never ends)', () => {
    const r = check('/dev/zero', '--model', model);
    expect([r.code, r.err]).toEqual([2, 'mechcert-check: certificate "/dev/zero" is a character device, not a regular file\n']);
    const m = check(write('c.json', validText), '--model', '/dev/zero');
    expect([m.code, m.err]).toEqual([2, 'mechcert-check: model "/dev/zero" is a character device, not a regular file\n']);
  });

  it('refuses a FIFO without waiting for a writer', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const r = check(fifo, '--model', model);
    expect([r.code, r.err.trim()]).toEqual([2, `mechcert-check: certificate ${JSON.stringify(fifo)} is a FIFO, not a regular file`]);
  });

  it('refuses a directory', () => {
    const r = check(dir, '--model', model);
    expect([r.code, r.err.trim()]).toEqual([2, `mechcert-check: certificate ${JSON.stringify(dir)} is a directory, not a regular file`]);
  });
});

describe('untrusted text is never printed raw', () => {
  const ESC = '\u001b';
  const hostileKey = `${ESC}[2J${ESC}[HVERIFIED${ESC}[8m`;
  // A prover field that is not a string: the schema's message quotes its path, which holds the key as written.
  const withKey = (key: string) => validText.replace('"prover":{', `"prover":{${JSON.stringify(key)}:1,`);

  it('escapes terminal control sequences in a rejected certificate', () => {
    const r = check(write('esc.json', withKey(hostileKey)), '--model', model);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^NOT VERIFIED\n/);
    expect(r.out).not.toContain(ESC);
    expect(r.out).toContain('\\u{1b}[2J');
  });

  it('escapes bidirectional overrides and keeps --json strict (no lone surrogates)', () => {
    const p = write('bidi.json', withKey('a\u202eb\ud800c'));
    const r = check(p, '--model', model);
    expect(r.out).not.toMatch(/[\u202e\ud800]/);
    expect(r.out).toContain('\\u{202e}');
    const j = check(p, '--model', model, '--json');
    expect(j.code).toBe(1);
    expect(j.out).not.toMatch(/[\u202e\ud800]/);
    // A strict reader: every \u escape in the output decodes to a well-formed string.
    const v = JSON.parse(j.out) as { status: string; error: { message: string } };
    expect(v.status).toBe('rejected');
    expect(v.error.message).not.toMatch(/[\ud800-\udfff]/);
    expect(v.error.message).toContain('\\u{d800}');
  });
});

describe('exit codes', () => {
  it('0 verified, 1 rejected, 2 usage, 3 not decided; --json carries the status', () => {
    const good = write('good.json', validText);
    expect(check(good, '--model', model).code).toBe(0);
    expect(JSON.parse(check(good, '--model', model, '--json').out).status).toBe('verified');
    const over = JSON.parse(validText) as { claim: { correct: string } };
    over.claim.correct = '125';
    const bad = write('over.json', JSON.stringify(over));
    expect(check(bad, '--model', model).code).toBe(1);
    expect(check(good, '--model', model, '--bogus').code).toBe(2);
    const deep = write('deep.json', `${'['.repeat(100)}${']'.repeat(100)}`);
    const r = check(deep, '--model', model, '--json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'undecided', error: { rule: 'limits' } });
    expect(check(deep, '--model', model).out).toMatch(/^NOT DECIDED /);
  });

  it('--max-work below what a step needs stops undecided (exit 3), naming the step', () => {
    const r = check(write('good2.json', validText), '--model', model, '--max-work', '1', '--json');
    expect(r.code, r.out + r.err).toBe(3);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'undecided' });
  });

  it('--version names the checker version', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'checker/package.json'), 'utf8')) as { version: string };
    const r = check('--version');
    expect([r.code, r.out]).toEqual([0, `mechcert-checker ${pkg.version}\n`]);
  });
});

describe('mechcert check is the same checker', () => {
  it('prints the same bytes and exits with the same codes as mechcert-check', () => {
    const good = write('same.json', validText);
    const deep = write('same-deep.json', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]');
    for (const args of [[good, '--model', model], [good, '--model', model, '--json'], [deep, '--model', model], [good, '--threads', '0', '--model', model]]) {
      const a = check(...args);
      const b = run(join(root, 'bin/mechcert.js'), ['check', ...args]);
      expect([b.code, b.out]).toEqual([a.code, a.out]);
      expect(b.err).toBe(a.err.replace(/^mechcert-check:/gm, 'mechcert check:'));
    }
  });
});
