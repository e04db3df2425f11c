import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { webgpuUnavailable } from '../backend/models.js';
import { readModel } from '../../src/model/model.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mechcert-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mechcert(...args: string[]) {
  return spawnSync(process.execPath, ['bin/mechcert.js', ...args], { cwd: root, encoding: 'utf8' });
}

const small = ['--k', '3', '--vocab', '6', '--d-model', '8', '--d-head', '8', '--steps', '40', '--batch', '16'];

const noAdapter = await webgpuUnavailable();

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

  it('prints V^K exactly where it is past 2^53 (64^10), with no accuracy recorded', () => {
    const r = mechcert('train', '--k', '10', '--vocab', '64', '--d-model', '8', '--d-head', '8', '--steps', '1', '--batch', '4', '--seed', '1', '--out', join(dir, 'k10.safetensors'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`V^K = ${64n ** 10n} sequences is over`);
  });

  it('--backend cpu writes the default bytes; auto says what it chose', () => {
    const write = (name: string, ...extra: string[]) => {
      const r = mechcert('train', ...small, '--seed', '7', '--out', join(dir, name), ...extra);
      expect(r.status, r.stderr).toBe(0);
      return r;
    };
    write('default.safetensors');
    write('cpu.safetensors', '--backend', 'cpu');
    expect(readFileSync(join(dir, 'cpu.safetensors')).equals(readFileSync(join(dir, 'default.safetensors')))).toBe(true);
    expect(write('auto.safetensors', '--backend', 'auto').stderr).toMatch(/^train: backend auto: using (cpu|webgpu)/m);
  });

  it.skipIf(noAdapter !== undefined)(`--backend webgpu trains on the GPU and names it in the metadata${noAdapter ? ` (NOT RUN, no WebGPU adapter: ${noAdapter})` : ''}`, () => {
    const out = join(dir, 'webgpu.safetensors');
    const r = mechcert('train', ...small, '--seed', '7', '--out', out, '--backend', 'webgpu');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^train: gradients on webgpu/m);
    const training = JSON.parse(readModel(out).metadata.training) as Record<string, unknown>;
    expect(training.gradient).toMatch(/^float32 trainStepGradient kernel on webgpu/);
  });

  it('--biases trains the five biases from zero, deterministically, and records it in the metadata', () => {
    const out = (name: string) => join(dir, name);
    for (const [name, extra] of [['plain', []], ['biased', ['--biases']], ['biased-again', ['--biases']]] as const) {
      const r = mechcert('train', ...small, '--seed', '7', '--out', out(`${name}.safetensors`), ...extra);
      expect(r.status, r.stderr).toBe(0);
    }
    expect(readFileSync(out('biased-again.safetensors')).equals(readFileSync(out('biased.safetensors')))).toBe(true);
    const plain = readModel(out('plain.safetensors'));
    const biased = readModel(out('biased.safetensors'));
    expect(plain.biases).toBeUndefined();
    const b = biased.biases!;
    expect([b.bQ.length, b.bK.length, b.bV.length, b.bO.length, b.bU.length]).toEqual([8, 8, 8, 8, 6]);
    for (const v of [b.bQ, b.bV, b.bO, b.bU]) expect(v.some((x) => Math.abs(x) > 1e-4)).toBe(true);
    // b_K shifts every score of a sequence alike: its gradient is zero up to rounding, so it stays near its start.
    expect(Math.max(...b.bK.map(Math.abs))).toBeLessThan(1e-6);
    expect(JSON.parse(biased.metadata.training)).toMatchObject({ biases: 'b_Q, b_K, b_V, b_O, b_U trained, initialised to zero' });
    expect(JSON.parse(plain.metadata.training)).not.toHaveProperty('biases');
  });

  it('--biases with a GPU backend is refused in one line', () => {
    const r = mechcert('train', ...small, '--seed', '7', '--biases', '--backend', 'webgpu', '--out', join(dir, 'never.safetensors'));
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '', 'mechcert: --biases trains on the cpu backend only (got --backend webgpu)\n']);
  });

  const bad: Array<[string, string[]]> = [
    ['non-integer --k', ['--k', '2.5', '--vocab', '8', '--seed', '1']],
    ['--vocab below 2', ['--k', '3', '--vocab', '1', '--seed', '1']],
    ['negative --seed', ['--k', '3', '--vocab', '8', '--seed', '-1']],
    ['non-numeric --lr', ['--k', '3', '--vocab', '8', '--seed', '1', '--lr', 'fast']],
    ['zero --steps', ['--k', '3', '--vocab', '8', '--seed', '1', '--steps', '0']],
    ['missing --k', ['--vocab', '8', '--seed', '1']],
    ['unknown --backend', ['--k', '3', '--vocab', '8', '--seed', '1', '--backend', 'bogus']],
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
