/**
 * `mechcert check` is the checker's own command line (SPEC §6): every argument after `check`, --version, -V and
 * --help included, goes to the checker's runCheckCommand, so that it prints what `mechcert-check` prints with the
 * same arguments (the program's name aside) and exits with the same code. Through the built CLIs.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CERT = join(root, 'certificates/max4-v64-s123.subcubic.json');

function run(bin: string, args: string[]) {
  const r = spawnSync(process.execPath, [join(root, bin), ...args], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  expect(r.error, `${bin} ${args.join(' ')} did not finish within 20 s`).toBeUndefined();
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const mechcertCheck = (...args: string[]) => run('checker/bin/mechcert-check.js', args);
const mechcert = (...args: string[]) => run('bin/mechcert.js', ['check', ...args]);

describe('mechcert check hands every argument to the checker', () => {
  it('--version and -V print the checker\'s version, byte for byte as mechcert-check does', () => {
    for (const flag of ['--version', '-V']) {
      const ours = mechcert(flag);
      expect(ours).toEqual(mechcertCheck(flag));
      expect(ours.stdout).toMatch(/^mechcert-checker \d+\.\d+\.\d+\n$/);
      expect(ours.code).toBe(0);
    }
  });

  it('prints what mechcert-check prints, under its own name, for the same arguments', () => {
    const cases = [
      ['--help'],
      ['-h'],
      [CERT, '--model', '/nonexistent', '-V'],
      [CERT, '--model', '/nonexistent', '--version'],
      [CERT, '--model', '/nonexistent'],
      [CERT, '--model', '/nonexistent', '--json'],
      ['--', CERT],
      ['--', '--version'],
      ['--json', '--model', '/nonexistent', '--', '-V'],
      [],
    ];
    for (const args of cases) {
      const theirs = mechcertCheck(...args);
      const ours = mechcert(...args);
      const asTheirs = (s: string) => s.replaceAll('mechcert check', 'mechcert-check');
      expect.soft({ code: ours.code, stdout: asTheirs(ours.stdout), stderr: asTheirs(ours.stderr) }, args.join(' ')).toEqual(theirs);
    }
  });
});
