/**
 * `mechcert prove`'s progress lines when stderr is not a terminal (a log, CI): a phase that reports no fraction shows
 * its name alone, never a percentage stuck at 0%, and a phase that reaches its end says so with its time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mechcert-progress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mechcert prove progress in a log', () => {
  it('shows each phase, no 0%, and 100% with the time when a phase ends', () => {
    const r = spawnSync(process.execPath, ['bin/mechcert.js', 'prove', 'models/max4-v64-s123.safetensors', '--strategy', 'cubic', '--out', join(dir, 'cubic.json')], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('prove: exp tables');
    expect(lines).toContain('prove: cases');
    expect(lines.at(-1)).toMatch(/^prove: cases 100% in \d+\.\d\d s$/);
    expect(lines.filter((line) => /\b0(\.0)?%/.test(line))).toEqual([]);
  });
});
