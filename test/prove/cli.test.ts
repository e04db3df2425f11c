/** The prove / check / strategies commands, end to end through bin/mechcert.js (and bin/mechcert-check.js). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { webgpuUnavailable } from '../backend/models.js';
import { buildModel } from './models.js';

const root = new URL('../..', import.meta.url).pathname;
const run = (bin: string, args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin', bin), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const mechcert = (...args: string[]) => run('mechcert.js', args);

let dir: string;
let model: string;
let other: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mechcert-prove-cli-'));
  model = join(dir, 'tiny.safetensors');
  other = join(dir, 'other.safetensors');
  writeFileSync(model, buildModel({ kind: 'solver', vocab: 6, k: 3, dModel: 6, dHead: 4, seed: 11, scale: 0.05 }).bytes);
  writeFileSync(other, buildModel({ kind: 'solver', vocab: 6, k: 3, dModel: 6, dHead: 4, seed: 12, scale: 0.05 }).bytes);
});

describe('mechcert strategies', () => {
  it('lists every strategy with name, group and complexity', () => {
    const r = mechcert('strategies', '--json');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; group: string; complexity: string }[];
    expect(list.map((s) => s.name)).toEqual(expect.arrayContaining(['brute-force', 'cubic']));
    expect(list.find((s) => s.name === 'cubic')).toMatchObject({ group: 'cubic', complexity: 'V³K²' });
    expect(list.find((s) => s.name === 'brute-force')).toMatchObject({ group: 'brute force' });
    const text = mechcert('strategies');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^name\s+group\s+complexity\n/);
  });
});

describe('mechcert prove and check', () => {
  it('proves, writes canonical JSON, and the certificate verifies with the same verdict as mechcert-check', () => {
    const out = join(dir, 'cubic.json');
    const p = mechcert('prove', model, '--strategy', 'cubic', '--out', out);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/claim: correct ≥ \d+ of 216 sequences/);
    const c = mechcert('check', out, '--model', model);
    expect(c.code).toBe(0);
    expect(c.stdout.startsWith('VERIFIED\n')).toBe(true);
    const standalone = run('mechcert-check.js', [out, '--model', model]);
    expect(standalone.code).toBe(0);
    expect(c.stdout).toBe(standalone.stdout);
    const j = mechcert('check', out, '--model', model, '--json');
    expect(j.code).toBe(0);
    const verdict = JSON.parse(j.stdout) as Record<string, unknown>;
    expect(verdict).toMatchObject({ verified: true, strategy: 'cubic', total: '216' });
    for (const key of ['correct', 'bound', 'modelSha256', 'checkerOps', 'certificateBytes']) expect(verdict).toHaveProperty(key);
    // The prover prints the claimed fraction with the checker's decimals (rounded down, exact).
    expect(p.stdout).toContain(`sequences (${(verdict.bound as { decimal: string }).decimal})`);
    expect(j.stdout).toBe(run('mechcert-check.js', [out, '--model', model, '--json']).stdout);
  });

  it('writes gzip for .gz paths; brute force verifies', () => {
    const out = join(dir, 'bf.json.gz');
    expect(mechcert('prove', model, '--strategy', 'brute-force', '--out', out, '--threads', '1').code).toBe(0);
    expect(() => JSON.parse(gunzipSync(readFileSync(out)).toString('utf8'))).not.toThrow();
    const c = mechcert('check', out, '--model', model, '--json');
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ verified: true, strategy: 'brute-force' });
  });

  it('rejection exits 1 with the same output as mechcert-check', () => {
    const out = join(dir, 'cubic2.json');
    expect(mechcert('prove', model, '--strategy', 'cubic', '--out', out).code).toBe(0);
    const c = mechcert('check', out, '--model', other);
    expect(c.code).toBe(1);
    expect(c.stdout.startsWith('NOT VERIFIED\n')).toBe(true);
    expect(c.stdout).toBe(run('mechcert-check.js', [out, '--model', other]).stdout);
  });

  it('usage and I/O errors exit 2 with one line on stderr', () => {
    const cases: string[][] = [
      ['prove', model, '--strategy', 'no-such-strategy', '--out', join(dir, 'x.json')],
      ['prove', model, '--out', join(dir, 'x.json')],
      ['prove', model, '--strategy', 'cubic'],
      ['prove', model, '--strategy', 'cubic', '--out', join(dir, 'x.json'), '--backend', 'tpu'],
      ['prove', model, '--strategy', 'cubic', '--out', join(dir, 'x.json'), '--threads', 'many'],
      ['prove', join(dir, 'missing.safetensors'), '--strategy', 'cubic', '--out', join(dir, 'x.json')],
      ['prove', model, '--strategy', 'cubic', '--out', join(dir, 'x.json'), '--bogus'],
      ['check', join(dir, 'missing.json'), '--model', model],
      ['check', join(dir, 'cubic.json')],
      ['strategies', '--bogus'],
    ];
    for (const args of cases) {
      const r = mechcert(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});

const gpuMissing = await webgpuUnavailable();

describe.skipIf(gpuMissing !== undefined)(`mechcert prove --backend webgpu${gpuMissing ? ` (NOT RUN: ${gpuMissing})` : ''}`, () => {
  it('cubic: the case table on the GPU gives the cpu certificate byte for byte', () => {
    const cpu = mechcert('prove', model, '--strategy', 'cubic', '--out', join(dir, 'cubic-cpu.json'));
    const gpuRun = mechcert('prove', model, '--strategy', 'cubic', '--out', join(dir, 'cubic-gpu.json'), '--backend', 'webgpu');
    expect(cpu.code).toBe(0);
    expect(gpuRun.code, gpuRun.stderr).toBe(0);
    expect(gpuRun.stdout).toMatch(/case table on webgpu .*rechecked in float64/);
    expect(readFileSync(join(dir, 'cubic-gpu.json')).equals(readFileSync(join(dir, 'cubic-cpu.json')))).toBe(true);
  });

  it('brute-force: the scan on the GPU gives the committed certificate of the shipped model byte for byte', () => {
    const out = join(dir, 'bf-gpu.json');
    const r = mechcert('prove', join(root, 'models/max4-v64-s123.safetensors'), '--strategy', 'brute-force', '--backend', 'webgpu', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/scan on webgpu .*rechecked in float64/);
    expect(readFileSync(out).equals(readFileSync(join(root, 'certificates/max4-v64-s123.brute-force.json')))).toBe(true);
  }, 120_000);

  it('a strategy without a backend kernel says so and runs on the cpu', () => {
    const list = JSON.parse(mechcert('strategies', '--json').stdout) as { name: string; group: string }[];
    const name = list.find((s) => s.group !== 'brute force' && s.group !== 'cubic')!.name;
    const r = mechcert('prove', model, '--strategy', name, '--out', join(dir, 'no-kernel-gpu.json'), '--backend', 'webgpu');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`prove: ${name} has no backend kernel; it runs on the cpu\n`);
  });

  it('a model beyond the WebGPU kernels\' limits is refused in one line (exit 2)', () => {
    const big = join(dir, 'k9.safetensors');
    writeFileSync(big, buildModel({ kind: 'normal', vocab: 3, k: 9, dModel: 2, dHead: 2, seed: 1, scale: 1 }).bytes);
    const r = mechcert('prove', big, '--strategy', 'cubic', '--out', join(dir, 'k9.json'), '--backend', 'webgpu');
    expect(r.code).toBe(2);
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('mechcert:'));
    expect(ours).toEqual(['mechcert: the WebGPU cubic kernel supports 2 ≤ K ≤ 8, not 9']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
