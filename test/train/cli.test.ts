import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModel } from '../../src/model/model.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mechcert-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mechcert(...args: string[]) {
  return spawnSync(process.execPath, ['bin/mechcert.js', ...args], { cwd: root, encoding: 'utf8' });
}

const small = ['--k', '3', '--vocab', '6', '--d-model', '8', '--d-head', '8', '--steps', '40', '--batch', '16'];

describe('mechcert train', () => {
  it('writes the same file twice for one seed, another for another seed, with accuracy over all V^K', () => {
    const out = (name: string) => join(dir, name);
    for (const [name, seed] of [['a', '7'], ['b', '7'], ['c', '8']]) {
      const r = mechcert('train', ...small, '--seed', seed, '--out', out(`${name}.safetensors`));
      expect(r.status).toBe(0);
    }
    const a = readFileSync(out('a.safetensors'));
    expect(readFileSync(out('b.safetensors')).equals(a)).toBe(true);
    expect(readFileSync(out('c.safetensors')).equals(a)).toBe(false);
    const meta = readModel(out('a.safetensors')).metadata;
    expect(meta).toMatchObject({ task: 'max-of-k', k: '3', vocab: '6', d_model: '8', d_head: '8', seed: '7' });
    const [correct, total] = meta.accuracy_sequences.split('/').map(Number);
    expect(total).toBe(6 ** 3);
    expect(Number(meta.accuracy)).toBe(correct / total);
  });

  const bad: Array<[string, string[]]> = [
    ['non-integer --k', ['--k', '2.5', '--vocab', '8', '--seed', '1']],
    ['--vocab below 2', ['--k', '3', '--vocab', '1', '--seed', '1']],
    ['negative --seed', ['--k', '3', '--vocab', '8', '--seed', '-1']],
    ['non-numeric --lr', ['--k', '3', '--vocab', '8', '--seed', '1', '--lr', 'fast']],
    ['zero --steps', ['--k', '3', '--vocab', '8', '--seed', '1', '--steps', '0']],
    ['missing --k', ['--vocab', '8', '--seed', '1']],
  ];
  for (const [what, args] of bad) {
    it(`rejects ${what} with one line and exit code 2`, () => {
      const r = mechcert('train', ...args, '--out', join(dir, 'never.safetensors'));
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^mechcert: --/);
    });
  }
});
