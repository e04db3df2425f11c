/**
 * Outputs never destroy anything (issue 13, item 1): through the real CLI, `prove --out` refuses a directory, a FIFO,
 * a device and a path it cannot create, in one line with exit 2, and leaves what was there as it was; a regular file
 * or a symbolic link to one is replaced whole.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mechcert-outputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const STRATEGY = 'subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact';

const prove = (out: string) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/mechcert.js'), 'prove', join(root, 'models/max4-v64-s123.safetensors'), '--strategy', STRATEGY, '--out', out], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, err: r.stderr.trim() };
};

describe('prove --out', { timeout: 120_000 }, () => {
  it('refuses a directory, in one line, and leaves it as it was', () => {
    const d = join(dir, 'folder');
    mkdirSync(d);
    expect(prove(d)).toEqual({ code: 2, err: `mechcert: cannot write ${JSON.stringify(d)}: it is a directory, not a regular file` });
    expect(lstatSync(d).isDirectory()).toBe(true);
  });

  it('refuses a FIFO without opening it', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(prove(fifo)).toEqual({ code: 2, err: `mechcert: cannot write ${JSON.stringify(fifo)}: it is a FIFO, not a regular file` });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('refuses a device (/dev/null stays a device)', () => {
    expect(prove('/dev/null')).toEqual({ code: 2, err: 'mechcert: cannot write "/dev/null": it is a character device, not a regular file' });
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('says in one line when the folder cannot be made (a file in the way, /proc)', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    expect(prove(join(file, 'cert.json'))).toEqual({ code: 2, err: `mechcert: cannot write into ${JSON.stringify(file)}: it is not a directory` });
    // Found only when the folder is made, after proving: the progress line comes first, then one error line.
    const r = prove('/proc/mechcert-no-such/cert.json');
    expect(r.code).toBe(2);
    expect(r.err.split('\n').at(-1)).toMatch(/^mechcert: cannot write "\/proc\/mechcert-no-such\/cert.json": E[A-Z]+ /);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('replaces a regular file, and the target of a symbolic link to one (the link stays)', () => {
    const target = join(dir, 'target.json');
    const link = join(dir, 'link.json');
    writeFileSync(target, 'old');
    symlinkSync(target, link);
    expect(prove(link).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(target, 'utf8')).claim.strategy).toBe(STRATEGY);
  });
});
